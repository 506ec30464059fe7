import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HubWatcher, PollingHub } from '../../../src/device/poll-hub';
import { within } from '../../support/wait';

/** A watcher that records what it is given and can wait (bounded) for its n-th reading. */
function recorder(intervalMs: number) {
  const readings: number[] = [];
  const outages: unknown[] = [];
  let wake: (() => void) | null = null;
  let wanted = 0;
  const watcher: HubWatcher<number> = {
    intervalMs,
    onReading: (value) => {
      readings.push(value);
      if (wake !== null && readings.length >= wanted) wake();
    },
    onOutage: (err) => outages.push(err),
  };
  const readingNumber = (n: number): Promise<void> => {
    wanted = n;
    if (readings.length >= n) return Promise.resolve();
    return within(new Promise<void>((resolve) => (wake = resolve)), 5000, `reading ${n}`);
  };
  return { watcher, readings, outages, readingNumber };
}

describe('one poll for every watcher of a device', () => {
  it('polls at the shortest interval asked for and gives slower watchers readings at their own pace', async () => {
    let reads = 0;
    const hub = new PollingHub(async () => ++reads);
    const fast = recorder(40);
    const slow = recorder(200);
    const stopFast = hub.watch(fast.watcher);
    const stopSlow = hub.watch(slow.watcher);
    assert.equal(hub.intervalMs, 40);
    await fast.readingNumber(12);
    assert.ok(slow.readings.length >= 2 && slow.readings.length < fast.readings.length / 2, `slow ${slow.readings.length}, fast ${fast.readings.length}`);
    assert.equal(reads, fast.readings.length, 'one read per poll, whoever watches');
    await stopFast();
    assert.equal(hub.intervalMs, 200, 'the interval follows the watchers that are left');
    await stopSlow();
    assert.equal(hub.intervalMs, 0);
    const after = reads;
    await new Promise((resolve) => setTimeout(resolve, 100)); // a quiet period: proving no poll runs needs one
    assert.equal(reads, after, 'no polling once nobody watches');
  });

  it('reads for the watchers due only, and gives each poll to exactly those it was read for', async () => {
    const readFor: string[][] = [];
    const names = new Map<HubWatcher<number>, string>();
    const hub = new PollingHub<number>(async (watchers) => {
      readFor.push(watchers.map((w) => names.get(w)!));
      return readFor.length;
    });
    const fast = recorder(40);
    const slow = recorder(400);
    names.set(fast.watcher, 'fast').set(slow.watcher, 'slow');
    hub.watch(fast.watcher);
    hub.watch(slow.watcher);
    await fast.readingNumber(15);
    await hub.stop();
    const slowReads = readFor.filter((who) => who.includes('slow')).length;
    assert.ok(slowReads >= 1 && slowReads <= 4, `read for the slow watcher ${slowReads} times in ${readFor.length} polls`);
    assert.ok(readFor.every((who) => who.includes('fast')), 'the fast watcher is due every poll');
    // Each watcher got exactly the polls read for it.
    assert.deepEqual(slow.readings, readFor.flatMap((who, i) => (who.includes('slow') ? [i + 1] : [])).slice(0, slow.readings.length));
    // (A poll read when stop() came is not delivered.)
    assert.ok(slowReads - slow.readings.length <= 1, `${slow.readings.length} of ${slowReads} delivered`);
  });

  it("gives a command's read-back to every other watcher at once", async () => {
    const hub = new PollingHub(async () => 0);
    const a = recorder(60_000);
    const b = recorder(60_000);
    hub.watch(a.watcher);
    hub.watch(b.watcher);
    await Promise.all([a.readingNumber(1), b.readingNumber(1)]);
    hub.publish(42, a.watcher);
    assert.deepEqual(b.readings, [0, 42]);
    assert.deepEqual(a.readings, [0], 'not back to the node that sent the command');
    await hub.stop();
  });

  it('reports an outage once to each watcher, and the recovery to all of them', async () => {
    let failing = false;
    let reads = 0;
    const hub = new PollingHub(async () => {
      reads++;
      if (failing) throw new Error('unplugged');
      return reads;
    });
    const fast = recorder(20);
    const slow = recorder(1000);
    hub.watch(fast.watcher);
    hub.watch(slow.watcher);
    await fast.readingNumber(2);
    failing = true;
    const failedFrom = reads;
    while (reads < failedFrom + 5) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(fast.outages.length, 1);
    assert.equal(slow.outages.length, 1);
    const slowBefore = slow.readings.length;
    failing = false;
    await fast.readingNumber(fast.readings.length + 1);
    assert.equal(slow.readings.length, slowBefore + 1, 'the slow watcher hears the recovery at once, not a second later');
    await hub.stop();
  });

  it('after the recovery, reads each watcher at its own pace again, not everyone every poll', async () => {
    let failing = false;
    const readForSlow: boolean[] = [];
    const slow = recorder(60_000);
    const hub = new PollingHub<number>(async (watchers) => {
      readForSlow.push(watchers.includes(slow.watcher));
      if (failing) throw new Error('unplugged');
      return readForSlow.length;
    });
    const fast = recorder(15);
    hub.watch(fast.watcher);
    hub.watch(slow.watcher);
    await fast.readingNumber(2);
    failing = true;
    const failedAt = readForSlow.length;
    while (readForSlow.length < failedAt + 3) await new Promise((resolve) => setTimeout(resolve, 5));
    failing = false;
    const recoveredAt = readForSlow.length;
    await fast.readingNumber(fast.readings.length + 8);
    await hub.stop();
    assert.equal(slow.readings.length, 2, 'the first reading and the recovery');
    // One poll at most reads for everyone after the outage (the one that recovers); the rest only for the fast watcher.
    const afterRecovery = readForSlow.slice(recoveredAt);
    assert.ok(afterRecovery.length >= 8, `${afterRecovery.length} polls after the recovery`);
    assert.ok(afterRecovery.filter(Boolean).length <= 1, `the slow watcher was read for in ${afterRecovery.filter(Boolean).length} of ${afterRecovery.length} polls after the recovery`);
  });
});
