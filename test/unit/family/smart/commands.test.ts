import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UNCHECKED, isSmartDestructiveMethod, isSmartReadOnly, smartCommands, smartDestructiveMethods } from '../../../../src/family/smart/commands';

void describe('SMART commands', () => {
  void it('knows the destructive methods of the family', () => {
    for (const method of ['device_reset', 'device_reboot', 'fw_download', 'firmware_update', 'set_qs_info', 'set_wireless_info', 'set_wifi', 'remove_child_device_list']) {
      assert.equal(isSmartDestructiveMethod(method), true, method);
    }
    for (const method of ['set_device_info', 'get_latest_firmware', 'get_wireless_scan_info', 'add_countdown_rule', 'get_device_info']) {
      assert.equal(isSmartDestructiveMethod(method), false, method);
    }
  });

  void it('finds destructive methods inside batches and control_child', () => {
    const batch = { method: 'multipleRequest', params: { requests: [{ method: 'get_device_info' }, { method: 'device_reboot' }] } };
    assert.deepEqual(smartDestructiveMethods(batch), ['device_reboot']);
    const child = { method: 'control_child', params: { device_id: 'x', requestData: { method: 'multipleRequest', params: { requests: [{ method: 'device_reset' }] } } } };
    assert.deepEqual(smartDestructiveMethods(child), ['device_reset']);
    assert.deepEqual(smartDestructiveMethods(smartCommands.setDeviceOn(true)), []);
  });

  void it('treats only get_* and component_nego as read-only, also inside batches', () => {
    assert.equal(isSmartReadOnly(smartCommands.getDeviceInfo()), true);
    assert.equal(isSmartReadOnly(smartCommands.componentNego()), true);
    assert.equal(isSmartReadOnly(smartCommands.setDeviceOn(false)), false);
    assert.equal(isSmartReadOnly({ method: 'multipleRequest', params: { requests: [{ method: 'get_a' }, { method: 'get_b' }] } }), true);
    assert.equal(isSmartReadOnly({ method: 'multipleRequest', params: { requests: [{ method: 'get_a' }, { method: 'set_b' }] } }), false);
    assert.equal(isSmartReadOnly({ method: 'multipleRequest', params: { requests: [] } }), false);
  });

  void it('never calls a command a read because it is not a set_: reboots, rules, erasures, child commands are sent once', () => {
    const notReads = ['device_reboot', 'device_reset', 'add_countdown_rule', 'edit_countdown_rule', 'remove_countdown_rules', 'add_schedule_rule',
      'fw_download', 'play_alarm', 'component_nego_x', 'getDeviceInfo', 'GET_DEVICE_INFO', 'multipleRequest', 'control_child'];
    for (const method of notReads) assert.equal(isSmartReadOnly({ method }), false, method);
    const toChild = (requestData: Record<string, unknown>) => ({ method: 'control_child', params: { device_id: 'x', requestData } });
    assert.equal(isSmartReadOnly(toChild({ method: 'get_device_info' })), true, 'a read of an outlet');
    assert.equal(isSmartReadOnly(toChild({ method: 'device_reboot' })), false);
    assert.equal(isSmartReadOnly(toChild({ method: 'multipleRequest', params: { requests: [{ method: 'get_device_info' }, { method: 'add_countdown_rule' }] } })), false);
    // A control_child whose requestData is not a request cannot be checked: never a read.
    assert.equal(isSmartReadOnly({ method: 'control_child', params: { device_id: 'x', requestData: 'get_device_info' } }), false);
  });

  void it('encodes a new nickname in base64 and asks countdown rules with params {}', () => {
    assert.deepEqual(smartCommands.setNickname('Lamp'), { method: 'set_device_info', params: { nickname: 'TGFtcA==' } });
    assert.deepEqual(smartCommands.getCountdownRules(), { method: 'get_countdown_rules', params: {} });
  });
});

void describe('what cannot be checked needs permission', () => {
  void it('a batch too long or nested too deep counts as destructive and never as a read', () => {
    const long = { method: 'multipleRequest', params: { requests: Array.from({ length: 150 }, (_, i) => ({ method: i === 140 ? 'device_reset' : 'get_device_info' })) } };
    assert.deepEqual(smartDestructiveMethods(long), [UNCHECKED]);
    assert.equal(isSmartReadOnly(long), false);
    let deep: Record<string, unknown> = { method: 'get_device_info' };
    for (let i = 0; i < 8; i++) deep = { method: 'control_child', params: { device_id: 'x', requestData: deep } };
    assert.deepEqual(smartDestructiveMethods(deep as { method: string }), [UNCHECKED]);
  });

  void it('a batch of batches sharing one inner batch is UNCHECKED at once, not walked path by path', () => {
    // 100^5 paths to a method below the depth limit, in a few objects: the walk used to take them all.
    let shared: Record<string, unknown> = { method: 'get_device_info' };
    for (let i = 0; i < 5; i++) shared = { method: 'multipleRequest', params: { requests: Array(100).fill(shared) } };
    assert.deepEqual(smartDestructiveMethods(shared as { method: string }), [UNCHECKED]);
    assert.equal(isSmartReadOnly(shared as { method: string }), false);
  });
});
