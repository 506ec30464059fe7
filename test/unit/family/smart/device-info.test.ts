import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, KasaError } from '../../../../src/util/errors';
import { decodeBase64Text, normaliseChildList, normaliseChildren, normaliseMac, normaliseSmartDeviceInfo } from '../../../../src/family/smart/device-info';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

void describe('SMART device info', () => {
  void it('decodes base64 nickname and ssid, reads the documented fields', () => {
    const info = normaliseSmartDeviceInfo(
      {
        device_id: '80221C0DEADBEEF',
        model: 'P110',
        type: 'SMART.TAPOPLUG',
        fw_ver: '1.3.1 Build 240621 Rel.162048',
        hw_ver: '1.0',
        mac: '48-22-54-0a-0b-0c',
        nickname: b64('Küche Lampe'),
        ssid: b64('Home Wi-Fi'),
        device_on: true,
        on_time: 3600,
        rssi: -48,
        overheated: false,
      },
      { hasEnergyMeter: true },
    );
    assert.deepEqual(info, {
      alias: 'Küche Lampe',
      model: 'P110',
      deviceId: '80221C0DEADBEEF',
      mac: '48:22:54:0A:0B:0C',
      type: 'SMART.TAPOPLUG',
      hasEnergyMeter: true,
      kind: 'plug',
      on: true,
      hardwareVersion: '1.0',
      softwareVersion: '1.3.1 Build 240621 Rel.162048',
      onTime: 3600,
      rssi: -48,
      ssid: 'Home Wi-Fi',
    });
  });

  void it('surfaces overheated and protection states as warnings', () => {
    const info = normaliseSmartDeviceInfo({ overheated: true, power_protection_status: 'overloaded', overcurrent_status: 'normal' });
    assert.equal(info.warnings?.length, 2);
    assert.match(info.warnings![0]!, /overheated/);
    assert.match(info.warnings![1]!, /overload/);
    assert.equal(normaliseSmartDeviceInfo({ overheated: false }).warnings, undefined);
  });

  void it('never throws on a nickname: non-strings give "", text that is not base64 of UTF-8 stays as sent', () => {
    assert.equal(decodeBase64Text(b64('Plug 1')), 'Plug 1');
    assert.equal(decodeBase64Text(42), '');
    assert.equal(decodeBase64Text(null), '');
    assert.equal(decodeBase64Text({ a: 1 }), '');
    assert.equal(decodeBase64Text('Kitchen'), 'Kitchen');
    assert.equal(decodeBase64Text('//79'), '//79'); // base64 of bytes ff fe fd: not UTF-8
    assert.equal(decodeBase64Text(''), '');
    assert.equal(normaliseSmartDeviceInfo({ nickname: ['x'] }).alias, '');
  });

  void it('decodes the same texts the same way again, past the number and the length it remembers', () => {
    const names = Array.from({ length: 3000 }, (_, i) => `Plug ${i} ${'é'.repeat(i % 7)}`);
    for (let round = 0; round < 2; round++) for (const name of names) assert.equal(decodeBase64Text(b64(name)), name);
    const long = 'Wohnzimmer Stehlampe '.repeat(10);
    for (let round = 0; round < 2; round++) assert.equal(decodeBase64Text(b64(long)), long);
    for (let round = 0; round < 2; round++) assert.equal(decodeBase64Text('//79'), '//79');
  });

  void it('writes MACs as Kasa devices do', () => {
    assert.equal(normaliseMac('788CB5000000'), '78:8C:B5:00:00:00');
    assert.equal(normaliseMac('48-22-54-00-00-00'), '48:22:54:00:00:00');
    assert.equal(normaliseMac('48:22:54:00:00:0a'), '48:22:54:00:00:0A');
    assert.equal(normaliseMac('4822-5400:000a'), '48:22:54:00:00:0A', 'separators anywhere are left out');
    assert.equal(normaliseMac('48:22-54:00-00:0a'), '48:22:54:00:00:0A', 'mixed separators between pairs');
    assert.equal(normaliseMac('482-2-54-00-00-00'), '48:22:54:00:00:00', 'seventeen characters, a separator out of place');
    assert.equal(normaliseMac('odd'), 'odd');
    assert.equal(normaliseMac('48-22-54-00-00-0G'), '48-22-54-00-00-0G', 'not hex: kept as it came');
    assert.equal(normaliseMac('48-22-54-00-00-00-11'), '48-22-54-00-00-00-11', 'more than twelve digits: kept');
    assert.equal(normaliseMac('48-22-54-00-00'), '48-22-54-00-00', 'fewer: kept');
    assert.equal(normaliseMac(''), '');
    assert.equal(normaliseMac(7), '');
  });

  void it('is off when device_on is missing or not a boolean, and PROTOCOL for a non-object', () => {
    assert.equal(normaliseSmartDeviceInfo({ device_on: 1 }).on, false);
    assert.throws(
      () => normaliseSmartDeviceInfo('x'),
      (err: unknown) => err instanceof KasaError && err.code === ErrorCode.PROTOCOL,
    );
  });
});

void describe('SMART strip outlets', () => {
  const children = [
    { device_id: 'AA01', nickname: b64('Desk'), device_on: true, on_time: 5, position: 2 },
    'junk',
    { device_id: 'AA00', nickname: b64('TV'), device_on: false, position: 1 },
    { nickname: b64('no id') },
  ];

  void it('numbers outlets in list order, with id, decoded alias and state', () => {
    assert.deepEqual(normaliseChildList(children), [
      { index: 1, id: 'AA01', alias: 'Desk', on: true, onTime: 5 },
      { index: 2, id: 'AA00', alias: 'TV', on: false },
    ]);
  });

  void it("gives a strip's parent (no device_on) the state of its outlets", () => {
    const info = normaliseSmartDeviceInfo({ model: 'P300' }, { children: normaliseChildren(children) });
    assert.equal(info.on, true);
    assert.deepEqual(info.outlets, normaliseChildList(children));
    assert.equal(info.kind, 'strip');
    assert.equal(normaliseSmartDeviceInfo({ model: 'P300' }, { children: [] }).on, false);
  });

  void it("tells a hub's children by their category, and gives a hub no outlets", () => {
    const hubChildren = [
      { device_id: 'M1', category: 'subg.trigger.motion-sensor', model: 'T100', nickname: 'SGFsbA==', detected: false },
      { device_id: 'C1', category: 'subg.trigger.contact-sensor', model: 'T110', open: true },
      { device_id: 'W1', category: 'subg.trigger.water-leak-sensor' },
      { device_id: 'T1', category: 'subg.trigger.temp-hmdt-sensor' },
      { device_id: 'B1', category: 'subg.trigger.button' },
      { device_id: 'S1', category: 'subg.plugswitch.switch', device_on: true },
      { device_id: 'V1', category: 'subg.trv' },
      { device_id: 'X1', category: 'subg.something.new' },
    ];
    const found = normaliseChildren(hubChildren);
    assert.deepEqual(
      found.map((child) => child.kind),
      ['motion-sensor', 'contact-sensor', 'leak-sensor', 'climate-sensor', 'button', 'switch', 'valve', 'unknown'],
    );
    assert.deepEqual([found[0]!.alias, found[0]!.model, found[0]!.raw['detected'], found[5]!.on], ['Hall', 'T100', false, true]);
    const hub = normaliseSmartDeviceInfo({ model: 'H100', type: 'SMART.TAPOHUB' }, { children: found });
    assert.equal(hub.kind, 'hub');
    assert.equal(hub.outlets, undefined, 'a hub has no outlets to switch');
    assert.equal(hub.children?.length, 8);
    assert.deepEqual(normaliseChildList(hubChildren), []);
  });
});
