import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { DiscoveredDevice, discoverDevices } from '../../src/discovery';
import { describeDevice } from '../../src/cli/discover';
import { DeviceState, SimulatedDevice, SmartSimulatedDevice, TdpResponder, tdpOwnerOf } from '../../src/simulator';
import { decrypt, encodeDatagram } from '../../src/transport/xor-cipher';
import { within } from '../support/wait';

// Every datagram stays on loopback: simulators on 127.0.0.1, broadcasts only to 127.255.255.255,
// which Linux hands to sockets bound to that address, so the broadcast listeners bind there.
const LOOPBACK_BROADCAST = '127.255.255.255';

async function bindUdp(address: string, port = 0): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

const closeUdp = (socket: dgram.Socket) => new Promise<void>((resolve) => socket.close(() => resolve()));

/** A Kasa device (port 9999 protocol) hearing broadcasts: listens on the broadcast address, answers from 127.0.0.1. */
async function startBroadcastKasa(state: DeviceState) {
  const listener = await bindUdp(LOOPBACK_BROADCAST);
  const replier = await bindUdp('127.0.0.1');
  listener.on('message', (datagram, from) => {
    try {
      const request: unknown = JSON.parse(decrypt(datagram).toString('utf8'));
      replier.send(encodeDatagram(JSON.stringify(state.handle(request))), from.port, from.address);
    } catch {
      // a TDP query, or anything else: not for this protocol
    }
  });
  return { port: listener.address().port, close: () => Promise.all([closeUdp(listener), closeUdp(replier)]) };
}

function summary(device: DiscoveredDevice) {
  return {
    family: device.family,
    encryption: device.encryption,
    model: device.model,
    host: device.host,
    port: device.port,
    httpPort: device.httpPort,
    needsAccount: device.needsAccount,
    factoryDefault: device.factoryDefault,
    answered: device.answered,
  };
}

describe('discoverDevices: port 9999 and TDP in one list', () => {
  let kasa: SimulatedDevice;
  let tapo: SmartSimulatedDevice;
  let boundTapo: SmartSimulatedDevice;
  let newKasa: SimulatedDevice;

  before(async () => {
    kasa = new SimulatedDevice({ model: 'hs110', port: 0, alias: 'Old Kasa' });
    tapo = new SmartSimulatedDevice({ model: 'p110', port: 0, tdpPort: 0, nickname: 'Tapo plug', seed: 'tdp-1' });
    boundTapo = new SmartSimulatedDevice({ model: 'p300', port: 0, tdpPort: 0, username: 'user@example.com', password: 'secret', seed: 'tdp-2' });
    newKasa = new SimulatedDevice({ model: 'hs110', port: 0, alias: 'New Kasa', seed: 'tdp-3', newFirmware: { klapPort: 8080, tdpPort: 0 } });
    await Promise.all([kasa.start(), tapo.start(), boundTapo.start(), newKasa.start()]);
  });
  after(async () => {
    await Promise.all([kasa.stop(), tapo.stop(), boundTapo.stop(), newKasa.stop()]);
  });

  it('finds an XOR Kasa device and KLAP SMART devices from a host list at once, one entry each, ending as all answered', async () => {
    assert.equal(kasa.tdpPort, undefined, 'an old Kasa device answers port 9999 only');
    const seen: string[] = [];
    const devices = await within(
      discoverDevices({
        broadcast: null,
        hosts: [`127.0.0.1:${kasa.udpPort!}`, `127.0.0.1:${tapo.tdpPort!}`, `127.0.0.1:${boundTapo.tdpPort!}`, `127.0.0.1:${newKasa.udpPort!}`, `127.0.0.1:${newKasa.tdpPort!}`],
        timeoutMs: 10_000,
        onDevice: (d) => seen.push(d.deviceId),
      }),
      6000,
      'the search of hosts to end once each answered',
    );
    const byId = new Map(devices.map((d) => [d.deviceId, d]));
    assert.equal(devices.length, 4, JSON.stringify(devices.map(summary)));
    assert.deepEqual(summary(byId.get(kasa.state.deviceId)!), {
      family: 'iot',
      encryption: 'xor',
      model: 'HS110(EU)',
      host: '127.0.0.1',
      port: kasa.udpPort!,
      httpPort: null,
      needsAccount: false,
      factoryDefault: false,
      answered: ['xor'],
    });
    assert.deepEqual(summary(byId.get(tapo.device.deviceId)!), {
      family: 'smart',
      encryption: 'klap',
      model: 'P110(EU)',
      host: '127.0.0.1',
      port: tapo.port,
      httpPort: tapo.port,
      needsAccount: false,
      factoryDefault: true,
      answered: ['tdp'],
    });
    const bound = byId.get(boundTapo.device.deviceId)!;
    assert.equal(bound.needsAccount, true, 'bound to an account: it needs it');
    assert.equal(bound.owner, tdpOwnerOf('user@example.com'));
    assert.equal(bound.loginVersion, 2);
    // Answered both ways: one entry with the name and port of 9999 and the scheme of TDP.
    assert.deepEqual(summary(byId.get(newKasa.state.deviceId)!), {
      family: 'iot',
      encryption: 'klap',
      model: 'HS110(EU)',
      host: '127.0.0.1',
      port: newKasa.udpPort!,
      httpPort: 8080,
      needsAccount: false,
      factoryDefault: false,
      answered: ['xor', 'tdp'],
    });
    assert.equal(byId.get(newKasa.state.deviceId)!.alias, 'New Kasa');
    assert.equal(seen.length, 4, 'onDevice once per device');
  });

  it('lists a hub as a hub (H100 over TDP), and the other devices as none', async () => {
    const hub = new SmartSimulatedDevice({ model: 'h100', port: 0, tdpPort: 0, seed: 'tdp-hub' });
    await hub.start();
    try {
      const devices = await within(
        discoverDevices({ broadcast: null, hosts: [`127.0.0.1:${hub.tdpPort!}`, `127.0.0.1:${tapo.tdpPort!}`], timeoutMs: 10_000 }),
        6000,
        'the search of two hosts',
      );
      const byId = new Map(devices.map((d) => [d.deviceId, d]));
      assert.deepEqual([byId.get(hub.device.deviceId)?.hub, byId.get(hub.device.deviceId)?.type], [true, 'SMART.TAPOHUB']);
      assert.equal(byId.get(tapo.device.deviceId)?.hub, false);
      assert.match(describeDevice(byId.get(hub.device.deviceId)!), / kind=hub$/);
      assert.doesNotMatch(describeDevice(byId.get(tapo.device.deviceId)!), /kind=/);
    } finally {
      await hub.stop();
    }
  });

  it('lists an AES device (older Tapo firmware) and a TPAP one as such, next to the others', async () => {
    // This branch has no AES simulator yet: a bare responder says what such firmware says.
    const describe = (type: string, mac: string, owner: string) => () => ({
      device_type: 'SMART.TAPOPLUG',
      device_model: 'P100(EU)',
      device_id: `ID-${type}`,
      mac,
      owner,
      factory_default: false,
      mgt_encrypt_schm: { encrypt_type: type, http_port: 80, is_support_https: false, lv: 2 },
    });
    const aes = new TdpResponder({ port: 0, describe: describe('AES', '02-00-00-00-00-0A', 'ABCDEF') });
    const tpap = new TdpResponder({ port: 0, describe: describe('TPAP', '02-00-00-00-00-0B', '') });
    await Promise.all([aes.start(), tpap.start()]);
    try {
      const devices = await within(
        discoverDevices({ broadcast: null, hosts: [`127.0.0.1:${kasa.udpPort!}`, `127.0.0.1:${tapo.tdpPort!}`, `127.0.0.1:${aes.port}`, `127.0.0.1:${tpap.port}`], timeoutMs: 10_000 }),
        6000,
        'the search to end once each answered',
      );
      assert.deepEqual(
        devices.map((d) => [d.deviceId, d.encryption, d.needsAccount]).sort(),
        [
          ['ID-AES', 'aes', true],
          ['ID-TPAP', 'tpap', false],
          [kasa.state.deviceId, 'xor', false],
          [tapo.device.deviceId, 'klap', false],
        ].sort(),
      );
    } finally {
      await Promise.all([aes.stop(), tpap.stop()]);
    }
  });

  it('asks only port 9999 with tdp: false', async () => {
    const devices = await discoverDevices({ broadcast: null, hosts: [`127.0.0.1:${kasa.udpPort!}`, `127.0.0.1:${tapo.tdpPort!}`], timeoutMs: 600, rounds: 2, tdp: false });
    assert.deepEqual(
      devices.map((d) => d.deviceId),
      [kasa.state.deviceId],
    );
  });

  it('ignores garbage on the TDP port and still finds the real device', async () => {
    const garbage = await bindUdp('127.0.0.1');
    garbage.on('message', (_d, from) => {
      for (const junk of [Buffer.alloc(0), Buffer.alloc(16, 2), Buffer.concat([Buffer.alloc(16), Buffer.from('{"result":"x"}')]), Buffer.from('{"result":{}}')]) {
        garbage.send(junk, from.port, from.address);
      }
    });
    try {
      const devices = await discoverDevices({ broadcast: null, hosts: [`127.0.0.1:${garbage.address().port}`, `127.0.0.1:${tapo.tdpPort!}`], timeoutMs: 800, rounds: 2 });
      assert.deepEqual(
        devices.map((d) => d.deviceId),
        [tapo.device.deviceId],
      );
    } finally {
      await closeUdp(garbage);
    }
  });
});

describe('discoverDevices by loopback broadcast', () => {
  it('finds an XOR Kasa device and a KLAP SMART device from one broadcast to 127.255.255.255, one entry each', async () => {
    const kasa = await startBroadcastKasa(new DeviceState({ model: 'hs110', alias: 'Broadcast Kasa', seed: 'b-1' }));
    const tapo = new SmartSimulatedDevice({ model: 'p110', port: 0, tdpPort: 0, tdpAlsoListenOn: LOOPBACK_BROADCAST, seed: 'b-2' });
    await tapo.start();
    try {
      const devices = await discoverDevices({
        broadcast: LOOPBACK_BROADCAST,
        port: kasa.port,
        tdpPort: tapo.tdpPort!,
        bindAddress: '127.0.0.1',
        timeoutMs: 900,
        rounds: 3,
      });
      assert.deepEqual(
        devices.map((d) => [d.family, d.encryption, d.model, d.host]).sort(),
        [
          ['iot', 'xor', 'HS110(EU)', '127.0.0.1'],
          ['smart', 'klap', 'P110(EU)', '127.0.0.1'],
        ],
      );
      assert.equal(devices.find((d) => d.family === 'smart')!.httpPort, tapo.port);
      assert.equal(tapo.tdp!.answered, 3, 'one TDP query per round, one entry');
    } finally {
      await tapo.stop();
      await kasa.close();
    }
  });
});
