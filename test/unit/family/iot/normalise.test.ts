import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveOutlets } from '../../../../src/device/device';
import { sumReadings } from '../../../../src/device/energy';
import { normaliseRealtime, normaliseStats } from '../../../../src/family/iot/energy';
import { ErrorCode } from '../../../../src/util/errors';
import { normaliseSysinfo } from '../../../../src/family/iot/sysinfo';

const PARENT = '8006F5C1E6A3E0D3C2B1A0F9E8D7C6B5A4938271';

const hs110v1 = {
  sw_ver: '1.2.5 Build 171213 Rel.101523', hw_ver: '1.0', type: 'IOT.SMARTPLUGSWITCH', model: 'HS110(EU)',
  alias: 'Fridge', relay_state: 1, on_time: 500, feature: 'TIM:ENE', rssi: -60, led_off: 0,
  latitude: 52.52, longitude: 13.405, deviceId: 'AAAA', mac: '50:C7:BF:00:11:22',
};
const hs110v2 = {
  sw_ver: '1.5.4', hw_ver: '2.0', mic_type: 'IOT.SMARTPLUGSWITCH', model: 'HS110(EU)', alias: 'Heater',
  relay_state: 0, feature: 'TIM:ENE', led_off: 1, latitude_i: 525200, longitude_i: 134050, deviceId: 'BBBB', mic_mac: '50C7BF001122',
};
const hs300 = {
  sw_ver: '1.0.6', hw_ver: '1.0', mic_type: 'IOT.SMARTPLUGSWITCH', model: 'HS300(US)', alias: 'Desk strip', feature: 'TIM:ENE',
  deviceId: PARENT, mac: '50:C7:BF:33:44:55', child_num: 3,
  children: [
    { id: `${PARENT}00`, state: 0, alias: 'Monitor', on_time: 0 },
    { id: `${PARENT}01`, state: 1, alias: 'Lamp', on_time: 20 },
    { id: '02', state: 0, alias: 'Radio', on_time: 0 },
  ],
};

describe('sysinfo normalisation', () => {
  it('reads an old HS110 (type, float coordinates, relay_state)', () => {
    const info = normaliseSysinfo(hs110v1);
    assert.equal(info.type, 'IOT.SMARTPLUGSWITCH');
    assert.equal(info.on, true);
    assert.equal(info.hasEnergyMeter, true);
    assert.equal(info.ledOn, true);
    assert.equal(info.latitude, 52.52);
    assert.equal(info.mac, '50:C7:BF:00:11:22');
    assert.equal(info.outlets, undefined);
  });

  it('reads a newer HS110 (mic_type, *_i coordinates, mic_mac)', () => {
    const info = normaliseSysinfo(hs110v2);
    assert.equal(info.type, 'IOT.SMARTPLUGSWITCH');
    assert.equal(info.on, false);
    assert.equal(info.ledOn, false);
    assert.equal(info.latitude, 52.52);
    assert.equal(info.longitude, 13.405);
    assert.equal(info.mac, '50C7BF001122');
  });

  it('reads a strip: outlets with 1-based index, full ids even from a 2-digit id', () => {
    const info = normaliseSysinfo(hs300);
    assert.deepEqual(
      info.outlets?.map((o) => [o.index, o.id, o.alias, o.on]),
      [
        [1, `${PARENT}00`, 'Monitor', false],
        [2, `${PARENT}01`, 'Lamp', true],
        [3, `${PARENT}02`, 'Radio', false],
      ],
    );
    assert.equal(info.on, true);
  });

  it('tolerates missing fields and refuses a non-object', () => {
    assert.deepEqual(normaliseSysinfo({}).alias, '');
    assert.equal(normaliseSysinfo({ feature: 'TIM' }).hasEnergyMeter, false);
    assert.throws(() => normaliseSysinfo('x'), { code: ErrorCode.PROTOCOL });
  });
});

describe('outlet resolution', () => {
  const info = normaliseSysinfo(hs300);
  const ids = (selectors: Parameters<typeof resolveOutlets>[1]) => resolveOutlets(info, selectors, 'strip').map((o) => o.index);

  it('finds outlets by index, suffix, full id, alias and "all"', () => {
    assert.deepEqual(ids(2), [2]);
    assert.deepEqual(ids('3'), [3]);
    assert.deepEqual(ids('00'), [1]);
    assert.deepEqual(ids(`${PARENT}01`), [2]);
    assert.deepEqual(ids('Radio'), [3]);
    assert.deepEqual(ids('lamp'), [2]);
    assert.deepEqual(ids('all'), [1, 2, 3]);
    assert.deepEqual(ids([3, 'Monitor', 3]), [1, 3]);
  });

  it('names the outlets there are when one is not found', () => {
    assert.throws(() => ids('Toaster'), (err: Error & { code?: string }) => err.code === ErrorCode.BAD_INPUT && /1 "Monitor", 2 "Lamp", 3 "Radio"/.test(err.message));
    assert.throws(() => ids(7), { code: ErrorCode.BAD_INPUT });
    assert.throws(() => ids([]), { code: ErrorCode.BAD_INPUT });
  });

  it('explains that a plug has no outlets', () => {
    assert.throws(() => resolveOutlets(normaliseSysinfo(hs110v1), 1, 'plug'), /not a power strip/);
  });
});

describe('energy normalisation', () => {
  it('gives the same reading from both unit families', () => {
    const old = normaliseRealtime({ voltage: 231.25, current: 0.452, power: 104.5, total: 12.345, err_code: 0 });
    const fresh = normaliseRealtime({ voltage_mv: 231250, current_ma: 452, power_mw: 104500, total_wh: 12345, slot_id: 0, err_code: 0 });
    assert.deepEqual(old, { power: 104.5, voltage: 231.25, current: 0.452, total: 12.345 });
    assert.deepEqual(fresh, old);
  });

  it('refuses a reading with none of the values', () => {
    assert.throws(() => normaliseRealtime({ err_code: 0 }), { code: ErrorCode.PROTOCOL });
    assert.throws(() => normaliseRealtime(null), { code: ErrorCode.PROTOCOL });
  });

  it('normalises daily and monthly statistics to kWh', () => {
    assert.deepEqual(normaliseStats({ day_list: [{ year: 2026, month: 11, day: 3, energy_wh: 1250 }, { year: 2026, month: 11, day: 4, energy: 0.5 }] }), [
      { year: 2026, month: 11, day: 3, energy: 1.25 },
      { year: 2026, month: 11, day: 4, energy: 0.5 },
    ]);
    const withBogus = normaliseStats({ month_list: [{ year: 2026, month: 1, energy: 30.1 }, { bogus: true }] });
    assert.deepEqual([...withBogus], [{ year: 2026, month: 1, energy: 30.1 }]);
    assert.deepEqual(withBogus.dropped, [{ index: 1, reason: 'not a statistics entry with year, month and energy' }]);
    assert.throws(() => normaliseStats({}), { code: ErrorCode.PROTOCOL });
  });

  it('keeps the good entries of statistics with impossible ones among them, and says which were dropped', () => {
    const days = [
      { year: 2026, month: 11, day: 1, energy_wh: 1200 },
      { year: 2026, month: 11, day: 2, energy_wh: 1e308 },
      { year: 2026, month: 11, day: 3, energy_wh: 800 },
      { year: 2026, month: 13, day: 4, energy_wh: 5 },
      { year: 2026, month: 11, day: 0, energy_wh: 5 },
      { year: 2026, month: 11, day: 6, energy_wh: -2e12 },
      'junk',
    ];
    const stats = normaliseStats({ day_list: days });
    assert.deepEqual([...stats], [
      { year: 2026, month: 11, day: 1, energy: 1.2 },
      { year: 2026, month: 11, day: 3, energy: 0.8 },
    ]);
    assert.deepEqual(stats.dropped?.map((d) => d.index), [1, 3, 4, 5, 6]);
    assert.match(stats.dropped![0]!.reason, /impossible energy statistic/);
    assert.match(stats.dropped![1]!.reason, /impossible month \(13\)/);
    // Nothing dropped: no list at all, so a message carries none.
    assert.equal(normaliseStats({ day_list: [days[0]] }).dropped, undefined);
    // No usable entry at all: the answer is broken, not an empty month.
    assert.throws(() => normaliseStats({ day_list: [days[1], days[3]] }), { code: ErrorCode.PROTOCOL });
    assert.deepEqual([...normaliseStats({ day_list: [] })], []);
  });

  it('sums outlets and averages the voltage', () => {
    const a = { power: 10.5, voltage: 230, current: 0.05, total: 1.1 };
    const b = { power: 20.25, voltage: 232, current: 0.1, total: 2.2 };
    assert.deepEqual(sumReadings([a, b]), { power: 30.75, voltage: 231, current: 0.15, total: 3.3 });
  });
});
