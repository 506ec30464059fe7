import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeadlineTimer } from '../../../src/transport/deadline-timer';

/** A DeadlineTimer whose expiries are counted, with the time each came and a promise of the next. */
function watched(): { timer: DeadlineTimer; expiries: number[]; next: () => Promise<number> } {
  const expiries: number[] = [];
  let wake: ((at: number) => void) | undefined;
  const timer = new DeadlineTimer(() => {
    const at = Date.now();
    expiries.push(at);
    wake?.(at);
  });
  return { timer, expiries, next: () => new Promise((resolve) => (wake = resolve)) };
}

/** Timers that hold the process open. */
function refTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

void describe('the deadline timer of a connection', () => {
  void it('expires once the deadline of the request running has passed, never before', async () => {
    const { timer, expiries, next } = watched();
    const deadline = Date.now() + 40;
    const expired = next();
    timer.start(deadline);
    assert.ok((await expired) >= deadline, 'not before the deadline');
    assert.equal(expiries.length, 1);
  });

  void it('lets a stopped request pass its deadline silently, and waits again for a later request it fired early for', async () => {
    const { timer, expiries, next } = watched();
    const first = Date.now() + 20;
    timer.start(first);
    timer.stop();
    // Armed for the first deadline, the timer fires early for the second and waits again.
    const second = first + 60;
    const expired = next();
    timer.start(second);
    assert.ok((await expired) >= second);
    assert.equal(expiries.length, 1, 'the stopped request never expired');
  });

  void it('moves to an earlier deadline at once', async () => {
    const { timer, next } = watched();
    timer.start(Date.now() + 3_000);
    timer.stop();
    const started = Date.now();
    const expired = next();
    timer.start(started + 20);
    assert.ok((await expired) - started < 1_500, 'it did not wait for the earlier, longer deadline');
  });

  void it('never expires between requests, nor once cleared', async () => {
    const stopped = watched();
    stopped.timer.start(Date.now() + 20);
    stopped.timer.stop();
    const cleared = watched();
    cleared.timer.start(Date.now() + 20);
    cleared.timer.clear();
    // Another timer of the same kind is the clock: by its expiry both deadlines are long past.
    const clock = watched();
    const later = clock.next();
    clock.timer.start(Date.now() + 100);
    await later;
    assert.equal(stopped.expiries.length, 0, 'a request that ended does not expire');
    assert.equal(cleared.expiries.length, 0);
  });

  void it('holds the process open only while a request runs', () => {
    const before = refTimers();
    const { timer } = watched();
    timer.start(Date.now() + 60_000);
    assert.equal(refTimers(), before + 1, 'a request running holds the process open');
    timer.stop();
    assert.equal(refTimers(), before, 'an idle connection does not');
    timer.start(Date.now() + 60_000);
    assert.equal(refTimers(), before + 1, 'the next request, on the same timer, does again');
    timer.clear();
    assert.equal(refTimers(), before);
  });
});
