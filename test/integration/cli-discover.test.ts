// tplink-smartplug --discover as a person runs it (the real tool in a process of its own), finding
// simulated devices on loopback: a Kasa one on port 9999's protocol (XOR), a SMART one over KLAP and
// one over AES, by a host list and by a broadcast to 127.255.255.255 (never anywhere else).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeviceState, SimulatedDevice, SmartSimulatedDevice, tdpOwnerOf } from '../../src/simulator';
import { decrypt, encodeDatagram } from '../../src/transport/xor-cipher';
import { within } from '../support/wait';

const TOOL = path.join(__dirname, '..', '..', 'bin', 'tplink-smartplug.js');
const LIMIT = { timeout: 60_000 };
const LOOPBACK_BROADCAST = '127.255.255.255';

const run = (args: string[]) =>
  within(
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [TOOL, ...args], (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    }),
    20_000,
    `tplink-smartplug ${args.join(' ')}`,
  );

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

/** A Kasa device hearing broadcasts: listens on the loopback broadcast address, answers from 127.0.0.1. */
async function startBroadcastKasa(state: DeviceState) {
  const listener = await bindUdp(LOOPBACK_BROADCAST);
  const replier = await bindUdp('127.0.0.1');
  listener.on('message', (datagram, from) => {
    try {
      const request: unknown = JSON.parse(decrypt(datagram).toString('utf8'));
      replier.send(encodeDatagram(JSON.stringify(state.handle(request))), from.port, from.address);
    } catch {
      // not a port-9999 query
    }
  });
  return { port: listener.address().port, close: () => Promise.all([closeUdp(listener), closeUdp(replier)]) };
}

const OWNER = { username: 'owner@example.com', password: 'tapo owner pw' };

describe('tplink-smartplug --discover', () => {
  let kasa: SimulatedDevice;
  let klap: SmartSimulatedDevice;
  let aes: SmartSimulatedDevice;

  before(async () => {
    kasa = new SimulatedDevice({ model: 'hs110', port: 0, alias: 'Old Kasa', seed: 'cli-d-1' });
    klap = new SmartSimulatedDevice({ model: 'p110', port: 0, tdpPort: 0, nickname: 'Tapo plug', seed: 'cli-d-2' });
    aes = new SmartSimulatedDevice({ model: 'p110', port: 0, tdpPort: 0, transport: 'aes', seed: 'cli-d-3', ...OWNER });
    await Promise.all([kasa.start(), klap.start(), aes.start()]);
  });
  after(async () => {
    await Promise.all([kasa.stop(), klap.stop(), aes.stop()]);
  });

  const hosts = () => `127.0.0.1:${kasa.udpPort!},127.0.0.1:${klap.tdpPort!},127.0.0.1:${aes.tdpPort!}`;

  it('a host list finds the XOR, KLAP and AES devices at once, one line each', LIMIT, async () => {
    const found = await run(['--discover', '--hosts', hosts(), '--timeout', '10']);
    assert.equal(found.code, 0, found.stderr);
    assert.equal(found.stderr, '');
    const lines = found.stdout.trimEnd().split('\n').sort();
    assert.deepEqual(
      lines,
      [
        `127.0.0.1 model=HS110(EU) alias="Old Kasa" family=iot encryption=xor port=${kasa.udpPort!} account=not needed`,
        `127.0.0.1 model=P110(EU) alias="" family=smart encryption=aes port=${aes.port} account=needed`,
        `127.0.0.1 model=P110(EU) alias="" family=smart encryption=klap port=${klap.port} account=not needed`,
      ].sort(),
    );
  });

  it('-q prints one JSON object per device and line', LIMIT, async () => {
    const found = await run(['--discover', '--hosts', hosts(), '--timeout', '10', '-q']);
    assert.equal(found.code, 0, found.stderr);
    const devices = found.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const byId = new Map(devices.map((d) => [d['deviceId'], d]));
    assert.equal(devices.length, 3);
    assert.deepEqual(
      [kasa.state.deviceId, klap.device.deviceId, aes.device.deviceId].map((id) => [byId.get(id)?.['family'], byId.get(id)?.['encryption'], byId.get(id)?.['needsAccount']]),
      [
        ['iot', 'xor', false],
        ['smart', 'klap', false],
        ['smart', 'aes', true],
      ],
    );
    assert.equal(byId.get(aes.device.deviceId)!['owner'], tdpOwnerOf(OWNER.username));
    assert.equal(byId.get(klap.device.deviceId)!['httpPort'], klap.port);
  });

  it('a broadcast to 127.255.255.255 with a host list: XOR and KLAP answer the broadcast, AES the host list, all in one list', LIMIT, async () => {
    const broadcastKasa = await startBroadcastKasa(new DeviceState({ model: 'hs110', alias: 'Broadcast Kasa', seed: 'cli-d-4' }));
    const broadcastTapo = new SmartSimulatedDevice({ model: 'p110', port: 0, tdpPort: 0, tdpAlsoListenOn: LOOPBACK_BROADCAST, seed: 'cli-d-5' });
    await broadcastTapo.start();
    try {
      const found = await run([
        '--discover',
        '--broadcast',
        LOOPBACK_BROADCAST,
        '--bind',
        '127.0.0.1',
        '-p',
        String(broadcastKasa.port),
        '--tdp-port',
        String(broadcastTapo.tdpPort!),
        '--hosts',
        `127.0.0.1:${aes.tdpPort!}`,
        '--timeout',
        '1.5',
      ]);
      assert.equal(found.code, 0, found.stderr);
      const summary = found.stdout
        .trimEnd()
        .split('\n')
        .map((line) => / model=(\S+) alias=("[^"]*") family=(\w+) encryption=(\w+) /.exec(line)?.slice(1).join(' '))
        .sort();
      assert.deepEqual(summary, ['HS110(EU) "Broadcast Kasa" iot xor', 'P110(EU) "" smart aes', 'P110(EU) "" smart klap']);
      assert.ok(broadcastTapo.tdp!.answered >= 1, 'the KLAP device answered the broadcast');
    } finally {
      await broadcastTapo.stop();
      await broadcastKasa.close();
    }
  });

  it('none found: exit 0, said on stderr; a bad command line: exit 2', LIMIT, async () => {
    const silent = await bindUdp('127.0.0.1');
    try {
      const none = await run(['--discover', '--hosts', `127.0.0.1:${silent.address().port}`, '--timeout', '0.5']);
      assert.equal(none.code, 0, none.stderr);
      assert.equal(none.stdout, '');
      assert.match(none.stderr, /^tplink-smartplug: no device answered \(1 host\(s\); 0\.5 s\)\n$/);
    } finally {
      await closeUdp(silent);
    }
    for (const args of [['--discover', '--broadcast', 'none'], ['--discover', '--timeout', '0'], ['--discover', '--hosts', ','], ['--discover', '-c', 'on']]) {
      const bad = await run(args);
      assert.equal(bad.code, 2, `${args.join(' ')}: ${bad.stderr}`);
      assert.match(bad.stderr, /^tplink-smartplug: .*\(see --help\)\n$/);
    }
    const help = await run(['--discover', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: tplink-smartplug --discover/);
  });
});
