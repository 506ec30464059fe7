// transport 'auto' asks the device over TP-Link's discovery (TDP, unicast) before its first
// request and uses what it says; without an answer it finds out on port 9999 and the HTTP port.
// Every socket opened here goes to 127.0.0.1 only, which the last test checks.
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { connectDevice } from '../../src/family/connect';
import { SmartDevice } from '../../src/family/smart/device';
import { ErrorCode } from '../../src/util/errors';
import { SimulatedDevice, SmartSimulatedDevice, TdpResponder } from '../../src/simulator';
import { KlapServer } from '../../src/simulator/klap-server';
import { expectKasaError } from '../support/errors';
import { flowWith, load, unloadChecked } from '../support/node-red';
import { freeTcpPort, freeUdpPort } from '../support/ports';

const LIMIT = { timeout: 30_000 };
const OWNER = { username: 'owner@example.com', password: 'tapo owner pw' };

/** Every address a socket of this process is pointed at while these tests run. */
const destinations: string[] = [];
const originalConnect = net.Socket.prototype.connect;
const originalSend = dgram.Socket.prototype.send;
const originalUdpConnect = dgram.Socket.prototype.connect;

function hostOf(args: unknown[]): string {
  const first = args[0];
  if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
    const options = first as { host?: unknown; path?: unknown };
    if (typeof options.path === 'string') return 'unix';
    return typeof options.host === 'string' ? options.host : 'localhost';
  }
  return typeof args[1] === 'string' ? args[1] : 'localhost';
}

function record(): void {
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    destinations.push(hostOf(args));
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
  dgram.Socket.prototype.connect = function (this: dgram.Socket, ...args: unknown[]) {
    destinations.push(typeof args[1] === 'string' ? args[1] : 'localhost');
    return (originalUdpConnect as (...a: unknown[]) => void).apply(this, args);
  } as typeof dgram.Socket.prototype.connect;
  dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: unknown[]) {
    // send(msg, [offset, length,] port, address, cb) on an unconnected socket; a string among the arguments is the address.
    const address = args.slice(1).find((a) => typeof a === 'string');
    if (address !== undefined) destinations.push(address as string);
    return (originalSend as (...a: unknown[]) => void).apply(this, args);
  } as typeof dgram.Socket.prototype.send;
}

function restore(): void {
  net.Socket.prototype.connect = originalConnect;
  dgram.Socket.prototype.connect = originalUdpConnect;
  dgram.Socket.prototype.send = originalSend;
}

const started: Array<{ stop(): Promise<void> }> = [];
async function smartSim(options: ConstructorParameters<typeof SmartSimulatedDevice>[0]): Promise<SmartSimulatedDevice> {
  const sim = new SmartSimulatedDevice({ host: '127.0.0.1', port: 0, ...options });
  await sim.start();
  started.push(sim);
  return sim;
}

void describe("transport 'auto' with TP-Link's discovery", () => {
  before(record);
  after(async () => {
    restore();
    for (const sim of started.splice(0)) await sim.stop();
  });
  afterEach(() => unloadChecked());

  void it('(a) a Kasa XOR plug that answers no discovery: port 9999, the Kasa family', LIMIT, async () => {
    const sim = new SimulatedDevice({ model: 'hs110', port: 0, alias: 'Old Kasa' });
    await sim.start();
    started.push(sim);
    const device = await connectDevice({ transport: 'auto', host: '127.0.0.1', port: sim.port, klapPort: await freeTcpPort(), tdpPort: await freeUdpPort(), timeoutMs: 5000 });
    try {
      assert.equal((await device.setPower(true)).on, true);
      assert.equal(sim.state.getRelay(), true, 'the device itself');
      assert.equal(device.family, 'iot');
      assert.equal(device.address, `127.0.0.1:${sim.port}`);
    } finally {
      await device.close();
    }
  });

  void it('(b) a SMART KLAP plug announcing itself, 9999 closed: KLAP on the announced port, SMART, no probing', LIMIT, async () => {
    const sim = await smartSim({ model: 'p110', tdpPort: 0, nickname: 'Lamp', ...OWNER });
    const device = await connectDevice({ transport: 'auto', host: '127.0.0.1', port: await freeTcpPort(), klapPort: await freeTcpPort(), tdpPort: sim.tdpPort!, ...OWNER, timeoutMs: 5000 });
    try {
      await device.setPower(true);
      assert.equal(sim.device.relay.isOn, true, 'the device itself');
      assert.equal(device.family, 'smart');
      assert.equal(device.address, `127.0.0.1:${sim.port}`, 'the HTTP port from the discovery answer');
      assert.equal(sim.klap.stats.handshake1, 1, 'one KLAP session, no probe before it');
      await device.setPower(false);
      assert.equal(sim.device.relay.isOn, false);
      assert.equal(sim.klap.stats.handshake1, 1, 'the choice is remembered');
    } finally {
      await device.close();
    }
  });

  void it('(c) a SMART AES plug announcing itself (login version 2): AES on the announced port', LIMIT, async () => {
    const sim = await smartSim({ model: 'p110', transport: 'aes', loginVersion: 2, tdpPort: 0, ...OWNER });
    const device = await connectDevice({ transport: 'auto', host: '127.0.0.1', port: await freeTcpPort(), klapPort: await freeTcpPort(), tdpPort: sim.tdpPort!, ...OWNER, timeoutMs: 5000 });
    try {
      await device.setPower(true);
      assert.equal(sim.device.relay.isOn, true);
      assert.equal(device.family, 'smart');
      assert.equal(sim.aes.stats.logins, 1, 'one login: the announced login version first');
    } finally {
      await device.close();
    }
  });

  void it('(d) an AES plug with no discovery answer: 9999 refused, the HTTP port asked which login it speaks, AES', LIMIT, async () => {
    const sim = await smartSim({ model: 'p110', transport: 'aes', tdpPort: null, ...OWNER });
    for (const tdpPort of [null, await freeUdpPort()]) {
      const device = await connectDevice({ transport: 'auto', host: '127.0.0.1', port: await freeTcpPort(), klapPort: sim.port, tdpPort, ...OWNER, timeoutMs: 5000 });
      try {
        const on = tdpPort === null;
        await device.setPower(on);
        assert.equal(sim.device.relay.isOn, on, `tdpPort ${String(tdpPort)}`);
        assert.equal(device.family, 'smart');
        assert.ok(device instanceof SmartDevice, 'the device is made of its family');
      } finally {
        await device.close();
      }
    }
  });

  void it('a KLAP plug with no discovery answer: the HTTP port answers a plain request as KLAP does', LIMIT, async () => {
    const sim = await smartSim({ model: 'p110', tdpPort: null, ...OWNER });
    const device = await connectDevice({ transport: 'auto', host: '127.0.0.1', port: await freeTcpPort(), klapPort: sim.port, tdpPort: null, ...OWNER, timeoutMs: 5000 });
    try {
      await device.setPower(true);
      assert.equal(sim.device.relay.isOn, true);
      assert.equal(device.family, 'smart');
    } finally {
      await device.close();
    }
  });

  void it('a new-firmware Kasa plug announcing KLAP: the Kasa family over KLAP on the announced port, 9999 unused', LIMIT, async () => {
    // The KLAP side serves the same state as the 9999 side; each refers to the other only once started.
    const klap: KlapServer = new KlapServer({ handle: (json) => JSON.stringify(sim.state.handle(JSON.parse(json))), version: 2, bound: false });
    const sim = new SimulatedDevice({ model: 'hs110', port: 0, alias: 'New Kasa', newFirmware: { klapPort: () => klap.port, tdpPort: 0 } });
    await Promise.all([sim.start(), klap.start()]);
    started.push(sim, klap);
    const device = await connectDevice({ transport: 'auto', host: '127.0.0.1', port: await freeTcpPort(), klapPort: await freeTcpPort(), tdpPort: sim.tdpPort!, timeoutMs: 5000 });
    try {
      assert.equal((await device.setPower(true)).on, true);
      assert.equal(sim.state.getRelay(), true, 'the device itself');
      assert.equal(device.family, 'iot');
      assert.equal(device.address, `127.0.0.1:${klap.port}`);
      assert.equal(klap.stats.handshake1, 1);
    } finally {
      await device.close();
    }
  });

  void it('(e) a SMART plug announcing TPAP (2025 firmware): TPAP on the announced port, SMART, no probing', LIMIT, async () => {
    const sim = await smartSim({ model: 'p110', transport: 'tpap', tdpPort: 0, nickname: 'New Tapo', ...OWNER });
    const device = await connectDevice({ transport: 'auto', host: '127.0.0.1', port: await freeTcpPort(), klapPort: await freeTcpPort(), tdpPort: sim.tdpPort!, ...OWNER, timeoutMs: 5000 });
    try {
      await device.setPower(true);
      assert.equal(sim.device.relay.isOn, true, 'the device itself');
      assert.equal(device.family, 'smart');
      assert.equal(device.address, `127.0.0.1:${sim.port}`, 'the HTTP port from the discovery answer');
      assert.deepEqual([sim.tpap.stats.discovers, sim.tpap.stats.logins], [1, 1], 'one TPAP login, no probe before it');
      await device.setPower(false);
      assert.equal(sim.device.relay.isOn, false);
      assert.equal(sim.tpap.stats.logins, 1, 'the session is kept');
    } finally {
      await device.close();
    }
  });

  void it('a TPAP plug with no discovery answer: 9999 refused, the HTTP port answers TPAP\'s discover', LIMIT, async () => {
    const sim = await smartSim({ model: 'p110', transport: 'tpap', tdpPort: null, ...OWNER });
    const device = await connectDevice({ transport: 'auto', host: '127.0.0.1', port: await freeTcpPort(), klapPort: sim.port, tdpPort: null, ...OWNER, timeoutMs: 5000 });
    try {
      await device.setPower(true);
      assert.equal(sim.device.relay.isOn, true);
      assert.equal(device.family, 'smart');
      assert.equal(sim.tpap.stats.logins, 1);
    } finally {
      await device.close();
    }
  });

  void it('(f) an account that is not the announced owner: AUTH, "appears to be bound to another account"; the right one works', LIMIT, async () => {
    const sim = await smartSim({ model: 'p110', tdpPort: 0, ...OWNER });
    const settings = { transport: 'auto', host: '127.0.0.1', port: await freeTcpPort(), klapPort: await freeTcpPort(), tdpPort: sim.tdpPort!, timeoutMs: 5000 } as const;
    const wrong = await connectDevice({ ...settings, username: 'someone@example.com', password: 'nope-4711' });
    try {
      const err = await expectKasaError(wrong.setPower(true));
      assert.equal(err.code, ErrorCode.AUTH);
      assert.match(err.message, /appears to be bound to another account/);
      assert.doesNotMatch(err.message, /nope-4711/, 'never the password');
    } finally {
      await wrong.close();
    }
    const right = await connectDevice({ ...settings, ...OWNER });
    try {
      await right.setPower(true);
      assert.equal(sim.device.relay.isOn, true);
    } finally {
      await right.close();
    }
  });

  void it('a device answering discovery but not on its HTTP port: the Third-Party Compatibility advice', LIMIT, async () => {
    const closed = await freeTcpPort();
    const tdp = new TdpResponder({
      port: 0,
      describe: () => ({
        device_type: 'SMART.TAPOPLUG',
        device_model: 'P110(EU)',
        device_id: '8022AABBCCDDEEFF00112233445566778899AABC',
        mac: '48-22-54-00-00-0B',
        mgt_encrypt_schm: { encrypt_type: 'KLAP', http_port: closed, is_support_https: false, lv: 2 },
      }),
    });
    await tdp.start();
    started.push({ stop: () => tdp.stop() });
    const device = await connectDevice({ transport: 'auto', host: '127.0.0.1', port: await freeTcpPort(), klapPort: closed, tdpPort: tdp.port, timeoutMs: 5000 });
    try {
      const err = await expectKasaError(device.getSysinfo());
      assert.equal(err.code, ErrorCode.REFUSED);
      assert.match(err.message, /Third-Party Compatibility/);
    } finally {
      await device.close();
    }
  });

  void it("in Node-RED: plug-control with the default 'auto' transport switches a KLAP, an AES and a TPAP plug found by discovery", LIMIT, async () => {
    for (const transport of ['klap', 'aes', 'tpap'] as const) {
      const sim = await smartSim({ model: 'p110', transport, tdpPort: 0, nickname: `Tapo ${transport}`, ...OWNER });
      // No transport in the device node: the default, 'auto'; its ports point nowhere, only TDP says where the plug is.
      const flow = flowWith({ type: 'plug-control', name: 'tapo' }, { host: '127.0.0.1', port: await freeTcpPort(), klapPort: await freeTcpPort(), tdpPort: sim.tdpPort!, timeout: 5000 });
      delete flow.find((n) => n['id'] === 'dev')!['transport'];
      const { node, out } = await load(flow, { dev: OWNER });
      node.receive({ payload: true });
      const msg = (await out.next()) as Record<string, unknown>;
      assert.equal(msg['payload'], true, transport);
      assert.equal(sim.device.relay.isOn, true, `${transport}: the device itself`);
      const device = msg['device'] as Record<string, unknown>;
      assert.deepEqual([device['family'], device['alias']], ['smart', `Tapo ${transport}`]);
      await unloadChecked();
    }
  });

  void it('every socket went to loopback only', () => {
    assert.ok(destinations.length > 10, `sockets seen: ${destinations.length}`);
    const elsewhere = destinations.filter((d) => !/^127\./.test(d) && d !== '::1' && d !== 'localhost');
    assert.deepEqual(elsewhere, []);
  });
});
