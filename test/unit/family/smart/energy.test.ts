import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, KasaError } from '../../../../src/util/errors';
import { energyMethods, hasComponent, parseComponents } from '../../../../src/family/smart/components';
import { combineSmartEnergy, energyDataParams, normaliseEnergyData } from '../../../../src/family/smart/energy';

const isProtocol = (err: unknown): boolean => err instanceof KasaError && err.code === ErrorCode.PROTOCOL;

void describe('SMART energy readings', () => {
  void it('reads get_energy_usage: current_power in mW, today and month in Wh', () => {
    assert.deepEqual(
      combineSmartEnergy({ energyUsage: { current_power: 42_500, today_energy: 250, month_energy: 5_400, today_runtime: 95 } }),
      { power: 42.5, voltage: 0, current: 0, total: 0, today: 0.25, month: 5.4 },
    );
  });

  void it('prefers get_emeter_data (mW, mV, mA, Wh) and keeps today/month from energy usage', () => {
    assert.deepEqual(
      combineSmartEnergy({
        emeterData: { power_mw: 61_250, voltage_mv: 230_400, current_ma: 266, energy_wh: 120_250 },
        energyUsage: { current_power: 1, today_energy: 250, month_energy: 5_400 },
        currentPower: { current_power: 99 },
      }),
      { power: 61.25, voltage: 230.4, current: 0.266, total: 120.25, today: 0.25, month: 5.4 },
    );
  });

  void it('uses get_current_power (whole W) only when nothing better answered', () => {
    assert.deepEqual(combineSmartEnergy({ currentPower: { current_power: 42 } }), { power: 42, voltage: 0, current: 0, total: 0 });
  });

  void it("takes a P304M outlet's power from get_current_power beside an energy usage without current_power", () => {
    assert.deepEqual(combineSmartEnergy({ energyUsage: { today_energy: 250, month_energy: 5_400 }, currentPower: { current_power: 15 } }), {
      power: 15,
      voltage: 0,
      current: 0,
      total: 0,
      today: 0.25,
      month: 5.4,
    });
  });

  void it('refuses a reading without power and an impossible value', () => {
    assert.throws(() => combineSmartEnergy({ energyUsage: { today_energy: 3 } }), isProtocol);
    assert.throws(() => combineSmartEnergy({ energyUsage: { current_power: 1e15 } }), isProtocol);
    assert.throws(() => combineSmartEnergy({}), isProtocol);
  });
});

void describe('SMART energy history', () => {
  void it('turns daily Wh into EnergyStat entries in kWh, one per day from the start', () => {
    const start = Date.UTC(2026, 10, 29) / 1000; // 29 November 2026, 00:00 UTC
    assert.deepEqual(normaliseEnergyData({ data: [1200, null, 300, 0], start_timestamp: start, interval: 1440 }), [
      { year: 2026, month: 11, day: 29, energy: 1.2 },
      { year: 2026, month: 12, day: 1, energy: 0.3 },
      { year: 2026, month: 12, day: 2, energy: 0 },
    ]);
  });

  void it('turns monthly Wh into entries without a day, across a year end', () => {
    const start = Date.UTC(2026, 10, 1) / 1000;
    assert.deepEqual(normaliseEnergyData({ data: [30_000, 45_500, 12], start_timestamp: start, interval: 43200 }), [
      { year: 2026, month: 11, energy: 30 },
      { year: 2026, month: 12, energy: 45.5 },
      { year: 2027, month: 1, energy: 0.012 },
    ]);
  });

  void it('reads the timestamps in the device local time given time_diff', () => {
    // Local midnight of 1 March in UTC+1 is 23:00 UTC on 28 February.
    const start = Date.UTC(2026, 1, 28, 23) / 1000;
    assert.deepEqual(normaliseEnergyData({ data: [5], start_timestamp: start, interval: 1440 }, 60), [{ year: 2026, month: 3, day: 1, energy: 0.005 }]);
    const params = energyDataParams({ year: 2026, month: 3 }, 60);
    assert.equal(params.start_timestamp, start);
    assert.equal(params.interval, 1440);
    assert.equal(params.end_timestamp, Date.UTC(2026, 2, 31, 23) / 1000 - 1);
    assert.equal(energyDataParams({ year: 2026 }).interval, 43200);
  });

  void it('refuses hourly history and malformed replies', () => {
    assert.throws(() => normaliseEnergyData({ data: [1], start_timestamp: 0, interval: 60 }), isProtocol);
    assert.throws(() => normaliseEnergyData({ data: 'x', start_timestamp: 0, interval: 1440 }), isProtocol);
    assert.throws(() => normaliseEnergyData([1]), isProtocol);
    assert.throws(() => normaliseEnergyData({ data: [1e12], start_timestamp: 0, interval: 1440 }), isProtocol);
    // One impossible day among good ones: the good ones are kept, the bad one named by its place.
    const mixed = normaliseEnergyData({ data: [1000, 1e12, null, 2000], start_timestamp: Date.UTC(2026, 2, 1) / 1000, interval: 1440 });
    assert.deepEqual([...mixed].map((s) => [s.day, s.energy]), [[1, 1], [4, 2]]);
    assert.deepEqual(mixed.dropped?.map((d) => d.index), [1]);
  });
});

void describe('SMART components', () => {
  void it('parses component_nego into id -> ver_code', () => {
    const components = parseComponents({ component_list: [{ id: 'device', ver_code: 2 }, { id: 'energy_monitoring', ver_code: 1 }, 'junk', { id: 5 }] });
    assert.deepEqual([...components], [
      ['device', 2],
      ['energy_monitoring', 1],
    ]);
    assert.equal(hasComponent(components, 'device', 2), true);
    assert.equal(hasComponent(components, 'device', 3), false);
    assert.equal(parseComponents(null).size, 0);
  });

  void it('chooses the energy methods per section 5', () => {
    assert.deepEqual(energyMethods(new Map()), []);
    assert.deepEqual(energyMethods(new Map([['energy_monitoring', 1]])), ['get_energy_usage']);
    assert.deepEqual(energyMethods(new Map([['energy_monitoring', 2]])), ['get_emeter_data', 'get_energy_usage', 'get_current_power']);
  });
});
