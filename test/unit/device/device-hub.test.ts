import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeviceEvent, DeviceHub, DeviceSubscriber } from '../../../src/device/device-hub';
import type { PollRequest } from '../../../src/device/device';
import type { DeviceInfo } from '../../../src/device/state';
import type { DeviceReading } from '../../../src/device/types';
import { KasaError, ErrorCode } from '../../../src/util/errors';
import { within } from '../../support/wait';

const PLUG = { kind: 'plug', on: true, alias: 'lamp', model: 'HS110(EU)', deviceId: 'D1', mac: '00:00:00:00:00:01', hasEnergyMeter: true } as unknown as DeviceInfo;

/**
 * A device's poll as the hub sees it: records whether each poll asked for the state, answers with
 * the meters alone when allowed (with the state read last, as a device does), and can fail on demand.
 */
function fakeDevice() {
  const asked: boolean[] = [];
  let on = true;
  let failing = false;
  const poll = (request: PollRequest): Promise<DeviceReading> => {
    asked.push(request.state !== false);
    if (failing) return Promise.reject(new KasaError(ErrorCode.TIMEOUT, 'gone'));
    const info = { ...PLUG, on };
    return Promise.resolve(request.state === false ? { info, meters: new Map(), metersOnly: true } : { info, meters: new Map() });
  };
  return {
    asked,
    poll,
    switch: (value: boolean) => (on = value),
    fail: (value: boolean) => (failing = value),
  };
}

/** A subscriber that records its events and can wait (bounded) until they show something. */
function subscriber(intervalMs: number, shape: Pick<DeviceSubscriber, 'meters' | 'follows'>) {
  const events: DeviceEvent[] = [];
  let check: (() => void) | null = null;
  const watcher: DeviceSubscriber = {
    intervalMs,
    ...shape,
    onEvent: (event) => {
      events.push(event);
      check?.();
    },
  };
  const until = (what: string, done: () => boolean): Promise<void> =>
    within(
      new Promise<void>((resolve) => {
        check = () => {
          if (done()) resolve();
        };
        check();
      }),
      5000,
      what,
    );
  const count = (type: DeviceEvent['type']): number => events.filter((event) => event.type === type).length;
  const reading = (n: number): Promise<void> => until(`reading ${n}`, () => count('reading') >= n);
  return { watcher, events, until, count, reading };
}

const meterOnly = { meters: () => [], follows: () => new Set<string>() };
const stateFollower = {};

describe('the device hub reads the state only for those who follow it', () => {
  it('reads the meters alone while only meters are watched, and the state again after the longest gap allowed', async () => {
    const device = fakeDevice();
    const hub = new DeviceHub(device.poll, { stateAtLeastEveryMs: 1000 });
    const meter = subscriber(20, meterOnly);
    hub.subscribe(meter.watcher);
    await meter.reading(6);
    assert.equal(device.asked[0], true, 'the first poll reads the state: nothing is known yet');
    assert.deepEqual(device.asked.slice(1, 6), [false, false, false, false, false]);
    await meter.until('a state read after the gap', () => device.asked.lastIndexOf(true) > 0);
    await hub.stop();
  });

  it('reads the state at every poll once a subscriber follows it, and tells its changes', async () => {
    const device = fakeDevice();
    const hub = new DeviceHub(device.poll, { stateAtLeastEveryMs: 60_000 });
    const meter = subscriber(20, meterOnly);
    hub.subscribe(meter.watcher);
    await meter.reading(3);
    const watcher = subscriber(20, stateFollower);
    hub.subscribe(watcher.watcher);
    await watcher.reading(1);
    const from = device.asked.length;
    await watcher.reading(4);
    assert.ok(device.asked.slice(from).every((state) => state), device.asked.join(','));
    device.switch(false);
    await watcher.reading(7);
    assert.deepEqual(
      watcher.events.filter((event) => event.type === 'change').map((event) => (event.type === 'change' ? event.part.on : undefined)),
      [false],
    );
    await hub.stop();
  });

  it('reads the state first after a failed poll', async (t) => {
    const device = fakeDevice();
    const hub = new DeviceHub(device.poll, { stateAtLeastEveryMs: 60_000 });
    t.after(() => hub.stop());
    const meter = subscriber(20, meterOnly);
    hub.subscribe(meter.watcher);
    await meter.reading(3);
    device.fail(true);
    await meter.until('the outage', () => meter.count('offline') === 1);
    device.fail(false);
    // Every poll that began before this failed; the first one after is the first success.
    const back = device.asked.length;
    await meter.reading(5);
    assert.equal(device.asked[back], true, `polls: ${device.asked.join(',')}`);
    assert.equal(device.asked[back + 1], false, 'then the meters alone again');
    await hub.stop();
  });

  it('compares no state in a reading of the meters alone', async () => {
    const device = fakeDevice();
    const hub = new DeviceHub(device.poll, { stateAtLeastEveryMs: 60_000 });
    const watcher = subscriber(20, stateFollower);
    hub.subscribe(watcher.watcher);
    await watcher.reading(2);
    // A device's meters-only reading carries the state read last; one claiming otherwise is not a change.
    hub.compare({ info: { ...PLUG, on: false }, meters: new Map(), metersOnly: true });
    hub.compare({ info: { ...PLUG, on: true }, meters: new Map() });
    assert.equal(watcher.events.filter((event) => event.type === 'change').length, 0);
    await hub.stop();
  });
});
