import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PRESETS, destructiveMethods } from '../../../../src/family/iot/commands';
import { ErrorCode, KasaError } from '../../../../src/util/errors';
import { kindOf, modulesOf } from '../../../../src/family/iot/kinds';
import { normaliseSysinfo } from '../../../../src/family/iot/sysinfo';

describe('kinds of Kasa device and their modules', () => {
  it('tells the kind from what the sysinfo reports', () => {
    assert.equal(kindOf({ model: 'HS110(EU)', type: 'IOT.SMARTPLUGSWITCH', relay_state: 1 }), 'plug');
    assert.equal(kindOf({ model: 'HS300(US)', children: [] }), 'strip');
    assert.equal(kindOf({ model: 'HS200(US)', mic_type: 'IOT.SMARTPLUGSWITCH', relay_state: 0 }), 'switch');
    assert.equal(kindOf({ model: 'HS210(US)', dev_name: 'Smart Wi-Fi 3-Way Light Switch' }), 'switch');
    assert.equal(kindOf({ model: 'HS220(US)', mic_type: 'IOT.SMARTPLUGSWITCH', relay_state: 1, brightness: 40 }), 'dimmer');
    assert.equal(kindOf({ model: 'LB130(EU)', mic_type: 'IOT.SMARTBULB', light_state: { on_off: 1 } }), 'bulb');
    assert.equal(kindOf({ model: 'KL430(US)', mic_type: 'IOT.SMARTBULB', length: 16, light_state: { on_off: 0 } }), 'lightstrip');
  });

  it('names each module as the kind calls it', () => {
    assert.equal(modulesOf('plug').meter.name, 'emeter');
    assert.equal(modulesOf('bulb').meter.name, 'smartlife.iot.common.emeter');
    assert.equal(modulesOf('dimmer').dimmer?.name, 'smartlife.iot.dimmer');
    assert.equal(modulesOf('plug').dimmer, undefined);
    assert.equal(modulesOf('lightstrip').lighting?.name, 'smartlife.iot.lightStrip');
    assert.deepEqual(modulesOf('bulb').time.getTime(), { 'smartlife.iot.common.timesetting': { get_time: {} } });
    // Sysinfo is asked on `system` whatever the kind calls its system module.
    assert.deepEqual(modulesOf('bulb').system.getSysinfo(), { system: { get_sysinfo: {} } });
    assert.deepEqual(modulesOf('bulb').system.setAlias('Desk'), { 'smartlife.iot.common.system': { set_dev_alias: { alias: 'Desk' } } });
  });

  it("guards destructive methods under every kind's module names", () => {
    assert.deepEqual(destructiveMethods({ 'smartlife.iot.common.emeter': { erase_emeter_stat: {} } }), ['smartlife.iot.common.emeter.erase_emeter_stat']);
    assert.deepEqual(destructiveMethods({ 'smartlife.iot.common.system': { reset: { delay: 1 } } }), ['smartlife.iot.common.system.reset']);
    assert.deepEqual(destructiveMethods({ 'smartlife.iot.common.cloud': { unbind: {} } }), ['smartlife.iot.common.cloud.unbind']);
    assert.deepEqual(destructiveMethods({ 'smartlife.iot.dimmer': { set_brightness: { brightness: 5 } } }), []);
  });

  it("builds a preset for the kind's modules, and says when the kind has none", () => {
    assert.deepEqual(PRESETS.energy.request('bulb'), { 'smartlife.iot.common.emeter': { get_realtime: {} } });
    assert.deepEqual(PRESETS.on.request('bulb'), { 'smartlife.iot.smartbulb.lightingservice': { transition_light_state: { on_off: 1 } } });
    assert.deepEqual(PRESETS.on.request('dimmer'), { system: { set_relay_state: { state: 1 } } });
    assert.throws(() => PRESETS.countdown.request('bulb'), (err: unknown) => err instanceof KasaError && err.code === ErrorCode.NOT_SUPPORTED);
  });

  it('reads the state and brightness of dimmers and bulbs into the same DeviceInfo', () => {
    const dimmer = normaliseSysinfo({ model: 'HS220(US)', relay_state: 1, brightness: 35, deviceId: 'D' });
    assert.equal(dimmer.kind, 'dimmer');
    assert.equal(dimmer.on, true);
    assert.equal(dimmer.brightness, 35);
    const off = normaliseSysinfo({ model: 'LB130(EU)', mic_type: 'IOT.SMARTBULB', light_state: { on_off: 0, dft_on_state: { brightness: 70 } } });
    assert.equal(off.on, false);
    assert.equal(off.brightness, 70, 'off, a bulb reports the brightness it comes back on with');
    assert.equal(off.hasEnergyMeter, true);
    assert.equal(normaliseSysinfo({ model: 'HS100(EU)', relay_state: 0, feature: 'TIM' }).brightness, undefined);
  });
});
