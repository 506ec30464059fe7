import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPermission, parseAction, parseOutletSelectors } from '../../../src/device/actions';
import { PRESETS } from '../../../src/family/iot/commands';
import { ErrorCode, KasaError } from '../../../src/util/errors';

describe('reading actions from messages', () => {
  it('reads every switch value, Buffers (from MQTT) as text', () => {
    const on = { kind: 'power', target: true };
    const off = { kind: 'power', target: false };
    for (const payload of [true, 1, 'on', ' ON ', 'true', '1', Buffer.from('on')]) assert.deepEqual(parseAction({ payload }), on, String(payload));
    for (const payload of [false, 0, 'off', 'False', '0', Buffer.from('off')]) assert.deepEqual(parseAction({ payload }), off, String(payload));
    assert.deepEqual(parseAction({ payload: 'Toggle' }), { kind: 'power', target: 'toggle' });
  });

  it('prefers msg.command, then the payload, then the default action', () => {
    assert.deepEqual(parseAction({ command: 'info', payload: true }), { kind: 'preset', name: 'info' });
    assert.deepEqual(parseAction({ payload: false }, 'on'), { kind: 'power', target: false });
    assert.deepEqual(parseAction({ payload: 1732000000000 }, 'toggle'), { kind: 'power', target: 'toggle' });
    assert.deepEqual(parseAction({ command: 'alias', payload: ' Lamp ' }), { kind: 'alias', alias: 'Lamp' });
    assert.deepEqual(parseAction({ payload: { system: { get_sysinfo: {} } } }), { kind: 'raw', request: { system: { get_sysinfo: {} } } });
  });

  it('explains what it cannot use', () => {
    assert.throws(() => parseAction({ payload: 'dim' }), { code: ErrorCode.BAD_INPUT });
    assert.throws(() => parseAction({ payload: Buffer.from([0xff, 0x00]) }), { code: ErrorCode.BAD_INPUT });
    assert.throws(() => parseAction({ command: 'alias' }), /new name/);
    assert.throws(() => parseAction({ command: 'constructor' }), /Unknown command/);
    assert.throws(() => parseAction({ payload: {} }), { code: ErrorCode.BAD_INPUT });
  });

  it('runs the default action only for a message that carries nothing usable', () => {
    const toggle = { kind: 'power', target: 'toggle' };
    for (const payload of [undefined, null, '', '  ', Buffer.alloc(0), {}, 1732000000000, new Date()]) {
      assert.deepEqual(parseAction({ payload }, 'toggle'), toggle, `payload ${String(payload)}`);
    }
    // A typo or a value the node does not document is refused, naming what it takes: never the default action.
    for (const payload of ['of', 'maybe', 'onn', 2, -1, 0.5, 42, [], ['on'], Buffer.from('of')]) {
      assert.throws(
        () => parseAction({ payload }, 'toggle'),
        (err: KasaError) => err.code === ErrorCode.BAD_INPUT && /is not a value this node takes/.test(err.message) && /"on"\/"off"/.test(err.message) && /"toggle"/.test(err.message),
        `payload ${JSON.stringify(payload)}`,
      );
    }
  });

  it('guards raw and destructive commands', () => {
    const none = { allowRaw: false, allowDestructive: false };
    assert.throws(() => checkPermission(parseAction({ payload: { system: { get_sysinfo: {} } } }), none), { code: ErrorCode.NOT_ALLOWED });
    assert.throws(() => checkPermission(parseAction({ command: 'reset' }), none), { code: ErrorCode.NOT_ALLOWED });
    const rawOnly = { allowRaw: true, allowDestructive: false };
    assert.doesNotThrow(() => checkPermission(parseAction({ payload: { system: { get_sysinfo: {} } } }), rawOnly));
    assert.throws(() => checkPermission(parseAction({ payload: { cnCloud: { unbind: {} } } }), rawOnly), /cnCloud.unbind/);
    assert.doesNotThrow(() => checkPermission(parseAction({ command: 'reboot' }), { allowRaw: false, allowDestructive: true }));
    assert.doesNotThrow(() => checkPermission(parseAction({ payload: 'toggle' }), none));
  });

  it('refuses every destructive preset and raw command without the permission, in either dialect and inside batches', () => {
    const rawOnly = { allowRaw: true, allowDestructive: false };
    for (const name of Object.keys(PRESETS).filter((n) => PRESETS[n as keyof typeof PRESETS].destructive)) {
      assert.throws(() => checkPermission(parseAction({ command: name }), rawOnly), { code: ErrorCode.NOT_ALLOWED }, name);
    }
    const destructiveRaw: Array<Record<string, unknown>> = [
      { system: { get_sysinfo: {}, reboot: { delay: 1 } } }, // one destructive method among reads
      { emeter: { erase_emeter_stat: null } },
      { 'smartlife.iot.common.emeter': { erase_emeter_stat: null } }, // another kind's module name
      { netif: { set_stainfo: { ssid: 'x', password: 'y', key_type: 3 } } },
      { method: 'device_reset' },
      { method: 'multipleRequest', params: { requests: [{ method: 'get_device_info' }, { method: 'device_reboot' }] } },
      { method: 'control_child', params: { device_id: 'x', requestData: { method: 'device_reset' } } },
    ];
    for (const request of destructiveRaw) {
      assert.throws(() => checkPermission(parseAction({ payload: request }), rawOnly), { code: ErrorCode.NOT_ALLOWED }, JSON.stringify(request));
    }
  });

  it('reads outlet selectors in every form', () => {
    assert.deepEqual(parseOutletSelectors(2), [2]);
    assert.deepEqual(parseOutletSelectors(' 1, 3 ,'), ['1', '3']);
    assert.deepEqual(parseOutletSelectors(['Lamp', 4]), ['Lamp', 4]);
    assert.deepEqual(parseOutletSelectors({ index: 5, id: 'X', alias: 'Y' }), ['X']);
    assert.deepEqual(parseOutletSelectors({ index: 5 }), [5]);
    assert.deepEqual(parseOutletSelectors(''), []);
    assert.deepEqual(parseOutletSelectors(null), []);
  });
});
