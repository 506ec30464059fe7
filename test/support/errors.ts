import assert from 'node:assert/strict';
import { ErrorCode, KasaError } from '../../src/util/errors';

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

/** For assert.rejects / assert.throws: a KasaError with this code, and a message matching `pattern` if given. */
export function isKasaError(code: ErrorCode, pattern?: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof KasaError, String(err));
    assert.equal(err.code, code, err.message);
    if (pattern !== undefined) assert.match(err.message, pattern);
    return true;
  };
}
