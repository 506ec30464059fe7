import assert from 'node:assert/strict';
import { KasaError } from '../../src/util/errors';

/** The KasaError a promise rejects with; fails the test when it resolves or rejects otherwise. */
export async function expectKasaError(promise: Promise<unknown>): Promise<KasaError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof KasaError, String(err));
    return err;
  }
  assert.fail('expected a KasaError');
}
