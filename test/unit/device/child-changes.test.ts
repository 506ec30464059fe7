import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChildMemory, childChanges } from '../../../src/device/child-changes';
import type { ChildReadings } from '../../../src/device/child-events';

/** Feeds readings one after another; the events of each step. */
function steps(readings: ChildReadings[], logRead = true): Array<Array<[string, unknown]>> {
  let memory: ChildMemory | undefined;
  return readings.map((now) => {
    const { events, memory: next } = childChanges(memory, now, logRead);
    memory = next;
    return events.map((event) => [event.name, event.value]);
  });
}

void describe('changes of a child’s readings', () => {
  void it('the first reading tells nothing; status and battery changes are told once', () => {
    const base: ChildReadings = { online: true, lowBattery: false };
    assert.deepEqual(steps([base, { ...base, online: false }, { ...base, online: false }, base, { ...base, lowBattery: true }]), [
      [],
      [['offline', false]],
      [],
      [['online', true]],
      [['battery-low', true]],
    ]);
  });

  void it('temperature and humidity only past the deadband, measured from what was last told', () => {
    const at = (temperature: number, humidity: number): ChildReadings => ({ online: true, lowBattery: false, temperature, humidity });
    assert.deepEqual(steps([at(21, 50), at(21.3, 51), at(21.5, 52), at(21.7, 53)]), [[], [], [['temperature', 21.5], ['humidity', 52]], []]);
  });

  void it('motion, doors and water from readings only where no log is read; a motion sensor calming down always', () => {
    const s = (motion: boolean, open: boolean): ChildReadings => ({ online: true, lowBattery: false, motion, open });
    assert.deepEqual(steps([s(false, false), s(true, true), s(false, false)], true), [[], [], [['motion', false]]]);
    assert.deepEqual(steps([s(false, false), s(true, true), s(false, false)], false), [
      [],
      [
        ['motion', true],
        ['open', true],
      ],
      [
        ['motion', false],
        ['close', false],
      ],
    ]);
  });

  void it("a switch's state and a valve's settings are changes", () => {
    const v = (targetTemperature: number, on: boolean): ChildReadings => ({ online: true, lowBattery: false, targetTemperature, on });
    assert.deepEqual(steps([v(21, false), v(22, true)]), [[], [['change', true], ['change', 22]]]);
  });
});
