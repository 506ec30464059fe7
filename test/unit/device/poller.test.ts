import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { Poller } from '../../../src/device/poller';
import { openResources, resourcesBackTo, until, within } from '../../support/wait';

/** A task whose runs the test ends one by one, and a record of what the poller did. */
function scriptedTask() {
  const events = new EventEmitter();
  const log: string[] = [];
  let active = 0;
  let overlapped = false;
  let ends: Array<(outcome: 'ok' | 'fail') => void> = [];
  /** When each run started, and when the one before it was ended by the test. */
  const startedAt: number[] = [];
  const endedAt: number[] = [];
  const task = (): Promise<number> => {
    active++;
    if (active > 1) overlapped = true;
    const run = log.filter((entry) => entry.startsWith('run')).length + 1;
    log.push(`run ${run}`);
    startedAt.push(performance.now());
    events.emit('run');
    return new Promise<number>((resolve, reject) => {
      ends.push((outcome) => {
        active--;
        if (outcome === 'ok') resolve(run);
        else reject(new Error(`run ${run} failed`));
      });
    });
  };
  const end = (outcome: 'ok' | 'fail'): void => {
    const [first, ...rest] = ends;
    ends = rest;
    endedAt.push(performance.now());
    first!(outcome);
  };
  const runs = (): number => log.filter((entry) => entry.startsWith('run')).length;
  const listeners = {
    onResult: (value: number) => void log.push(`result ${value}`),
    onOutage: (err: unknown) => void log.push(`outage ${(err as Error).message}`),
    onRecovery: (value: number) => void log.push(`recovery ${value}`),
  };
  return { task, end, runs, log, events, listeners, startedAt, endedAt, overlapped: () => overlapped };
}

describe('the poller', () => {
  it('runs at once, then an interval after each run has ended, never two at once; an outage and a recovery are told once each', async () => {
    const script = scriptedTask();
    const intervalMs = 30;
    const poller = new Poller(intervalMs, script.task, script.listeners);
    poller.start();
    for (const [run, outcome] of [[1, 'ok'], [2, 'fail'], [3, 'fail'], [4, 'ok'], [5, 'ok']] as const) {
      await within(until(script.events, 'run', () => script.runs() === run), 2000, `run ${run}`);
      await new Promise((resolve) => setTimeout(resolve, 2 * intervalMs)); // no run may start meanwhile
      assert.equal(script.runs(), run, 'the next run waits for this one to end');
      script.end(outcome);
    }
    await within(until(script.events, 'run', () => script.runs() === 6), 2000, 'run 6');
    assert.equal(script.overlapped(), false);
    // Timers never fire early: each run starts a whole interval after the one before ended (1 ms of rounding).
    script.endedAt.forEach((ended, i) => assert.ok(script.startedAt[i + 1]! - ended >= intervalMs - 1, `run ${i + 2} started too soon`));
    const stopped = poller.stop();
    script.end('ok');
    await stopped;
    // Run 6 ended after stop: its result is not told.
    assert.deepEqual(script.log.filter((entry) => !entry.startsWith('run')), ['result 1', 'outage run 2 failed', 'recovery 4', 'result 4', 'result 5']);
  });

  it('stops after the run in progress, and polls again at its interval when started anew; no timer is left', async () => {
    const baseline = openResources();
    const script = scriptedTask();
    const poller = new Poller(5, script.task, script.listeners);
    poller.start();
    await within(until(script.events, 'run', () => script.runs() === 1), 2000, 'run 1');
    script.end('ok');
    await within(until(script.events, 'run', () => script.runs() === 2), 2000, 'run 2');
    const stopped = poller.stop();
    script.end('ok');
    await stopped;
    assert.equal(poller.active, false);
    await new Promise((resolve) => setTimeout(resolve, 20)); // four intervals: no run may start
    assert.equal(script.runs(), 2, 'no run after stop');
    assert.ok(!script.log.includes('result 2'), 'the run ended by stop reports nothing');
    poller.start();
    for (const run of [3, 4, 5]) {
      await within(until(script.events, 'run', () => script.runs() === run), 2000, `run ${run} after the restart`);
      script.end('ok');
    }
    await poller.stop();
    await resourcesBackTo(baseline);
  });
});
