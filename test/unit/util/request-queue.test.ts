import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/util/errors';
import { RequestQueue } from '../../../src/util/request-queue';
import { isKasaError } from '../../support/errors';

/** A job that runs until its test lets it end, and says when it started. */
function gate(log: string[], name: string): { job: () => Promise<string>; finish: () => void; fail: (err: Error) => void } {
  let finish!: () => void;
  let fail!: (err: Error) => void;
  const ended = new Promise<string>((resolve, reject) => {
    finish = () => resolve(name);
    fail = reject;
  });
  return {
    job: () => {
      log.push(`start ${name}`);
      return ended.finally(() => log.push(`end ${name}`));
    },
    finish: () => finish(),
    fail: (err) => fail(err),
  };
}

describe('the request queue', () => {
  it('runs one job at a time in the order asked, the next only after the one before has ended', async () => {
    const queue = new RequestQueue('10.0.0.1:9999');
    const log: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((name) => gate(log, name));
    const results = [queue.run(a!.job), queue.run(b!.job), queue.run(c!.job)];
    assert.deepEqual(log, ['start a'], 'an idle queue starts its job at once; the others wait');
    assert.equal(queue.pending, 3);
    c!.finish();
    b!.finish();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(log, ['start a'], 'nothing overtakes the job running');
    a!.finish();
    assert.deepEqual(await Promise.all(results), ['a', 'b', 'c']);
    assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    assert.equal(queue.pending, 0, 'counted down before the last caller sees its outcome');
  });

  it('goes on after a job that failed, or threw before returning its promise', async () => {
    const queue = new RequestQueue('10.0.0.1:9999');
    const failed = queue.run(() => Promise.reject(new Error('refused')));
    const threw = queue.run((): Promise<string> => {
      throw new Error('thrown at once');
    });
    const next = queue.run(() => Promise.resolve('next'));
    await assert.rejects(failed, /refused/);
    await assert.rejects(threw, /thrown at once/);
    assert.equal(await next, 'next');
    assert.equal(await queue.run(() => Promise.resolve('idle again')), 'idle again');
    // An idle queue starts the job at once: one that throws still makes a rejection, not a throw.
    await assert.rejects(
      queue.run((): Promise<string> => {
        throw new Error('idle throw');
      }),
      /idle throw/,
    );
    assert.equal(queue.pending, 0);
  });

  it('once closed, fails the jobs waiting and those asked after with CLOSED, never starting them; the one running ends as it will', async () => {
    const queue = new RequestQueue('10.0.0.1:9999');
    const log: string[] = [];
    const running = gate(log, 'running');
    const first = queue.run(running.job);
    let started = false;
    const waiting = queue.run(() => {
      started = true;
      return Promise.resolve('ran');
    });
    queue.close();
    const after = queue.run(() => {
      started = true;
      return Promise.resolve('ran');
    });
    running.finish();
    assert.equal(await first, 'running');
    await assert.rejects(waiting, isKasaError(ErrorCode.CLOSED, /10\.0\.0\.1:9999 was closed before the request was sent/));
    await assert.rejects(after, isKasaError(ErrorCode.CLOSED));
    assert.equal(started, false);
    assert.equal(queue.pending, 0);
  });
});
