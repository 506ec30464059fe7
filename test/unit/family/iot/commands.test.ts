import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serialiseRequest } from '../../../../src/family/iot/client';
import * as commands from '../../../../src/family/iot/commands';
import { PRESETS, batch, destructiveMethods, forOutlets, fullChildId, isPresetName, isReadOnly, methodsOf } from '../../../../src/family/iot/commands';
import { ErrorCode } from '../../../../src/util/errors';

describe('command catalogue', () => {
  it("builds the seed client's presets exactly", () => {
    const expected: Record<string, string> = {
      info: '{"system":{"get_sysinfo":{}}}',
      on: '{"system":{"set_relay_state":{"state":1}}}',
      off: '{"system":{"set_relay_state":{"state":0}}}',
      ledoff: '{"system":{"set_led_off":{"off":1}}}',
      ledon: '{"system":{"set_led_off":{"off":0}}}',
      cloudinfo: '{"cnCloud":{"get_info":{}}}',
      wlanscan: '{"netif":{"get_scaninfo":{"refresh":0}}}',
      time: '{"time":{"get_time":{}}}',
      schedule: '{"schedule":{"get_rules":{}}}',
      countdown: '{"count_down":{"get_rules":{}}}',
      antitheft: '{"anti_theft":{"get_rules":{}}}',
      reboot: '{"system":{"reboot":{"delay":1}}}',
      reset: '{"system":{"reset":{"delay":1}}}',
      energy: '{"emeter":{"get_realtime":{}}}',
      energy_reset: '{"emeter":{"erase_emeter_stat":{}}}',
      runtime_reset: '{"schedule":{"erase_runtime_stat":{}}}',
    };
    assert.deepEqual(Object.keys(PRESETS).sort(), Object.keys(expected).sort());
    for (const [name, json] of Object.entries(expected)) {
      assert.ok(isPresetName(name));
      assert.equal(JSON.stringify(PRESETS[name].request()), json, name);
    }
    assert.equal(isPresetName('toString'), false);
  });

  it('marks exactly the destructive presets', () => {
    const destructive = Object.entries(PRESETS).filter(([, p]) => p.destructive).map(([n]) => n).sort();
    assert.deepEqual(destructive, ['energy_reset', 'reboot', 'reset', 'runtime_reset']);
  });

  it('has a builder for every module of the catalogue', () => {
    const modules = new Set<string>();
    for (const group of [commands.system, commands.netif, commands.cloud, commands.time, commands.emeter, commands.schedule, commands.countdown, commands.antiTheft]) {
      for (const build of Object.values(group)) {
        if (typeof build !== 'function') continue; // role, name, destructive: the module's data
        const request = (build as (...args: unknown[]) => Record<string, unknown>)('x', 'y', 'z');
        for (const name of methodsOf(request)) modules.add(name.split('.')[0]!);
      }
    }
    assert.deepEqual([...modules].sort(), ['anti_theft', 'cnCloud', 'count_down', 'emeter', 'netif', 'schedule', 'system', 'time']);
  });

  it('finds destructive methods in raw requests, batched ones too', () => {
    assert.deepEqual(destructiveMethods({ system: { get_sysinfo: {}, set_mac_addr: { mac: 'x' } }, cnCloud: { unbind: {} } }), [
      'system.set_mac_addr',
      'cnCloud.unbind',
    ]);
    assert.deepEqual(destructiveMethods({ context: { child_ids: ['a'] }, system: { set_relay_state: { state: 1 } } }), []);
  });

  it('batches several modules and methods into one request', () => {
    const request = batch(commands.system.setRelayState(true), commands.system.getSysinfo(), commands.emeter.getRealtime());
    assert.equal(JSON.stringify(request), '{"system":{"set_relay_state":{"state":1},"get_sysinfo":{}},"emeter":{"get_realtime":{}}}');
  });

  it('addresses outlets with a child context placed first', () => {
    const request = forOutlets(commands.system.setRelayState(false), ['ABC00', 'ABC01']);
    assert.equal(JSON.stringify(request), '{"context":{"child_ids":["ABC00","ABC01"]},"system":{"set_relay_state":{"state":0}}}');
    assert.deepEqual(forOutlets(commands.system.getSysinfo(), []), commands.system.getSysinfo());
  });

  it('makes a full child id from a 2-digit suffix and the parent deviceId', () => {
    const parent = '8006F5C1E6A3E0D3C2B1A0F9E8D7C6B5A4938271';
    assert.equal(fullChildId('02', parent), `${parent}02`);
    assert.equal(fullChildId('5', parent), `${parent}05`);
    assert.equal(fullChildId(`${parent}03`, parent), `${parent}03`);
  });

  it('serialises requests compactly and refuses what is not a JSON object', () => {
    assert.equal(serialiseRequest('{ "system" : { "get_sysinfo" : null } }'), '{"system":{"get_sysinfo":null}}');
    for (const bad of ['', 'nope', '[1]', '{}', '7']) assert.throws(() => serialiseRequest(bad), { code: ErrorCode.BAD_INPUT });
  });

  it('calls a request read-only (safe to send again) only when every method is a get_, whatever dots its module has', () => {
    assert.equal(isReadOnly({ system: { get_sysinfo: {} }, emeter: { get_realtime: {} } }), true);
    assert.equal(isReadOnly({ context: { child_ids: ['x'] }, system: { get_sysinfo: {} } }), true);
    assert.equal(isReadOnly({ 'smartlife.iot.common.emeter': { get_realtime: {} } }), true);
    assert.equal(isReadOnly({ system: { get_sysinfo: {}, set_relay_state: { state: 1 } } }), false);
    assert.equal(isReadOnly({ 'smartlife.iot.dimmer': { set_brightness: { brightness: 5 } } }), false);
    // A module whose name has a get_ after a dot does not make its commands reads.
    assert.equal(isReadOnly({ 'vendor.get_things': { set_thing: {} } }), false);
    assert.equal(isReadOnly({}), false);
  });

  it('never calls a command a read because it is not a set_: reboots, erasures, rules, bindings are sent once', () => {
    // The no-double-write promise rests on this: whatever isReadOnly passes may be sent twice.
    const commandsThatAreNotSets: Array<Record<string, unknown>> = [
      { system: { reboot: { delay: 1 } } },
      { system: { reset: { delay: 1 } } },
      { emeter: { erase_emeter_stat: null } },
      { schedule: { add_rule: { stime_opt: 0, wday: [1, 1, 1, 1, 1, 1, 1] } } },
      { schedule: { edit_rule: { id: 'x' } } },
      { schedule: { delete_rule: { id: 'x' } } },
      { schedule: { delete_all_rules: null } },
      { schedule: { erase_runtime_stat: null } },
      { count_down: { add_rule: { delay: 60, act: 1 } } },
      { anti_theft: { delete_all_rules: null } },
      { cnCloud: { bind: { username: 'u', password: 'p' } } },
      { cnCloud: { unbind: null } },
      { netif: { get_scaninfo: { refresh: 1 } }, system: { reboot: { delay: 1 } } },
      { 'smartlife.iot.smartbulb.lightingservice': { transition_light_state: { on_off: 1 } } },
      { system: { getsysinfo: {} } }, // no underscore: not the get_ prefix
      { system: { GET_SYSINFO: {} } },
    ];
    for (const request of commandsThatAreNotSets) {
      assert.equal(isReadOnly(request), false, methodsOf(request).join(', '));
    }
    // Every preset the editor offers that is not in the read group is not a read either.
    for (const [name, preset] of Object.entries(PRESETS)) assert.equal(isReadOnly(preset.request()), preset.group === 'read', name);
  });
});
