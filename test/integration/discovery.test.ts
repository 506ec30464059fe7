import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import helper from 'node-red-node-test-helper';
import type { NodeAPI } from 'node-red';
import { DiscoveredDevice, XorDiscoveredDevice, discover } from '../../src/discovery';
import { ErrorCode, KasaError } from '../../src/util/errors';
import { DeviceState, SimulatedDevice } from '../../src/simulator';
import { decrypt, encodeDatagram, encrypt } from '../../src/transport/xor-cipher';
import { DISCOVERY_PATH, discoveryOptions, registerDiscoveryEndpoint } from '../../nodes/lib/admin-discovery';
import { openResources, resourcesBackTo, within } from '../support/wait';

// Every datagram of these tests stays on loopback: simulators on 127.0.0.1, broadcasts only to
// 127.255.255.255 (the loopback network's broadcast; Linux delivers it to sockets bound to that
// address or to 0.0.0.0, not to ones bound to 127.0.0.1).
const LOOPBACK_BROADCAST = '127.255.255.255';

async function startSimulator(model: 'hs110' | 'hs300', alias: string): Promise<SimulatedDevice> {
  const device = new SimulatedDevice({ model, host: '127.0.0.1', port: 0, udp: true, alias });
  await device.start();
  assert.ok(device.udpPort !== undefined, 'the simulator answers UDP');
  return device;
}

async function bindUdp(address: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

/**
 * A device like newer firmware: it listens on one socket and answers from another one (another
 * port), with the simulator's own DeviceState behind it. `requests` counts what it received.
 */
async function startOtherPortResponder(listenAddress: string, state: DeviceState) {
  const listener = await bindUdp(listenAddress);
  const replier = await bindUdp('127.0.0.1');
  let requests = 0;
  listener.on('message', (datagram, from) => {
    requests += 1;
    const request: unknown = JSON.parse(decrypt(datagram).toString('utf8'));
    replier.send(encodeDatagram(JSON.stringify(state.handle(request))), from.port, from.address);
  });
  return {
    port: listener.address().port,
    replyPort: replier.address().port,
    get requests() {
      return requests;
    },
    close: () => Promise.all([closeUdp(listener), closeUdp(replier)]),
  };
}

/** Answers every datagram with a volley of things that are not a device's sysinfo. */
async function startGarbageResponder() {
  const socket = await bindUdp('127.0.0.1');
  const volley = [
    Buffer.alloc(0),
    Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x81]),
    encrypt(Buffer.from([0xc3, 0x28, 0xa0, 0xa1])), // invalid UTF-8 once decrypted
    encodeDatagram('not json at all'),
    encodeDatagram('[1,2,3]'),
    encodeDatagram('{"foo":{"bar":1}}'),
    encodeDatagram('{"system":{"get_sysinfo":"text"}}'),
    encodeDatagram('{"system":{"get_sysinfo":{"err_code":-1,"err_msg":"module not support"}}}'),
    encodeDatagram('{"system":{"get_sysinfo":{}}}'), // an echo of the request itself
    Buffer.from('{"system":{"get_sysinfo":{"deviceId":"PLAINTEXT"}}}'), // not encrypted
  ];
  let requests = 0;
  socket.on('message', (_datagram, from) => {
    requests += 1;
    for (const garbage of volley) socket.send(garbage, from.port, from.address);
  });
  return {
    port: socket.address().port,
    get requests() {
      return requests;
    },
    close: () => closeUdp(socket),
  };
}

/** A port nothing listens on: bound, noted, released. */
async function silentPort(): Promise<number> {
  const socket = await bindUdp('127.0.0.1');
  const { port } = socket.address();
  await closeUdp(socket);
  return port;
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof KasaError, `a KasaError, not ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('discover', () => {
  let plug: SimulatedDevice;
  let strip: SimulatedDevice;

  before(async () => {
    plug = await startSimulator('hs110', 'Zeta lamp');
    strip = await startSimulator('hs300', 'Alpha strip');
  });
  after(async () => {
    await plug.stop();
    await strip.stop();
  });

  it('finds a plug and a strip from a host list, with their fields, sorted by alias', async () => {
    const devices = await discover({
      broadcast: null,
      hosts: [`127.0.0.1:${plug.udpPort!}`, ` 127.0.0.1:${strip.udpPort!} `],
      timeoutMs: 600,
      rounds: 2,
    });
    const expected: XorDiscoveredDevice[] = [
      {
        host: '127.0.0.1',
        port: strip.udpPort!,
        alias: 'Alpha strip',
        model: 'HS300(US)',
        mac: strip.state.mac,
        deviceId: strip.state.deviceId,
        type: 'IOT.SMARTPLUGSWITCH',
        outlets: 6,
        hasEnergyMeter: true,
      },
      {
        host: '127.0.0.1',
        port: plug.udpPort!,
        alias: 'Zeta lamp',
        model: 'HS110(EU)',
        mac: plug.state.mac,
        deviceId: plug.state.deviceId,
        type: 'IOT.SMARTPLUGSWITCH',
        outlets: 0,
        hasEnergyMeter: true,
      },
    ];
    assert.deepEqual(devices, expected);
    assert.notEqual(plug.state.deviceId, strip.state.deviceId);
  });

  it('lists a device once however often and however it answers', async () => {
    const before = plug.stats.requests;
    const devices = await discover({
      broadcast: null,
      hosts: [`127.0.0.1:${plug.udpPort!}`, `127.0.0.1:${plug.udpPort!}`],
      timeoutMs: 600,
      rounds: 3,
    });
    // Two entries of the first round; the search ended with the first answer (every host answered).
    assert.equal(plug.stats.requests - before, 2, 'two entries, one round');
    assert.deepEqual(
      devices.map((d) => d.deviceId),
      [plug.state.deviceId],
    );
  });

  it('accepts an answer from a port other than the one asked, and reports the port asked', async () => {
    const responder = await startOtherPortResponder('127.0.0.1', new DeviceState({ model: 'hs110v2', alias: 'Newer firmware' }));
    try {
      assert.notEqual(responder.port, responder.replyPort);
      const devices = await discover({ broadcast: null, hosts: [`127.0.0.1:${responder.port}`], timeoutMs: 600, rounds: 2 });
      assert.equal(responder.requests, 1, 'its answer ended the search: the one host asked has answered');
      assert.equal(devices.length, 1);
      assert.equal(devices[0]!.alias, 'Newer firmware');
      assert.equal(devices[0]!.port, responder.port);
      assert.equal(devices[0]!.outlets, 0);
    } finally {
      await responder.close();
    }
  });

  it('ends a search of hosts as soon as every host has answered, long before its timeout', async () => {
    const third = await startSimulator('hs110', 'Middle lamp');
    try {
      const hosts = [plug, strip, third].map((d) => `127.0.0.1:${d.udpPort!}`);
      // A 10 s timeout; the bound of 4 s is what the early end must beat (each answer takes a few ms).
      const devices = await within(discover({ broadcast: null, hosts, timeoutMs: 10_000 }), 4000, 'the search to end');
      assert.deepEqual(devices.map((d) => d.alias), ['Alpha strip', 'Middle lamp', 'Zeta lamp']);
    } finally {
      await third.stop();
    }
  });

  it('waits its timeout for a listed host that does not answer, and reports those that did', async () => {
    const silent = await bindUdp('127.0.0.1');
    try {
      const started = Date.now();
      const devices = await discover({ broadcast: null, hosts: [`127.0.0.1:${plug.udpPort!}`, `127.0.0.1:${silent.address().port}`], timeoutMs: 500 });
      assert.deepEqual(devices.map((d) => d.alias), ['Zeta lamp']);
      assert.ok(Date.now() - started >= 490, 'it did not end before the silent host had its time');
    } finally {
      await closeUdp(silent);
    }
  });

  it('broadcasts on the loopback network in rounds spread over the timeout', async () => {
    const state = new DeviceState({ model: 'hs300', alias: 'Broadcast strip' });
    const responder = await startOtherPortResponder(LOOPBACK_BROADCAST, state);
    try {
      const started = Date.now();
      const devices = await discover({ broadcast: LOOPBACK_BROADCAST, port: responder.port, bindAddress: '127.0.0.1', timeoutMs: 900, rounds: 3 });
      const elapsed = Date.now() - started;
      assert.equal(responder.requests, 3, 'one broadcast per round');
      assert.ok(elapsed >= 850 && elapsed < 2500, `listened for the whole timeout: ${elapsed} ms`);
      assert.deepEqual(
        devices.map(({ host, port, alias, deviceId, outlets }) => ({ host, port, alias, deviceId, outlets })),
        [{ host: '127.0.0.1', port: responder.port, alias: 'Broadcast strip', deviceId: state.deviceId, outlets: 6 }],
      );
    } finally {
      await responder.close();
    }
  });

  it('ignores garbage answers and still finds the real device', async () => {
    const garbage = await startGarbageResponder();
    try {
      const devices = await discover({
        broadcast: null,
        hosts: [`127.0.0.1:${garbage.port}`, `127.0.0.1:${plug.udpPort!}`],
        timeoutMs: 600,
        rounds: 2,
      });
      assert.equal(garbage.requests, 2, 'the garbage responder was asked and answered');
      assert.deepEqual(
        devices.map((d) => d.deviceId),
        [plug.state.deviceId],
      );
    } finally {
      await garbage.close();
    }
  });

  it('resolves with [] after the timeout when nothing answers', async () => {
    const port = await silentPort();
    const started = Date.now();
    const devices = await discover({ broadcast: null, hosts: [`127.0.0.1:${port}`], timeoutMs: 500, rounds: 2 });
    const elapsed = Date.now() - started;
    assert.deepEqual(devices, []);
    assert.ok(elapsed >= 450 && elapsed < 2000, `took ${elapsed} ms`);
  });

  it('resolves at once with [] when there is nothing to ask', async () => {
    assert.deepEqual(await discover({ broadcast: '', hosts: [] }), []);
  });

  it('leaves no socket and no timer behind, also when stopped early', async () => {
    const baseline = openResources();
    await discover({ broadcast: null, hosts: [`127.0.0.1:${plug.udpPort!}`], timeoutMs: 500, rounds: 3 });
    await resourcesBackTo(baseline, 1000);

    const controller = new AbortController();
    const started = Date.now();
    const seen: string[] = [];
    const devices = await discover({
      broadcast: null,
      hosts: [`127.0.0.1:${plug.udpPort!}`],
      timeoutMs: 8000,
      signal: controller.signal,
      onDevice: (device) => {
        seen.push(device.deviceId);
        controller.abort();
      },
    });
    assert.ok(Date.now() - started < 4000, 'stopped well before the 8 s timeout');
    assert.deepEqual(seen, [plug.state.deviceId]);
    assert.deepEqual(
      devices.map((d) => d.deviceId),
      [plug.state.deviceId],
    );
    await resourcesBackTo(baseline, 1000);

    const aborted = new AbortController();
    aborted.abort();
    assert.deepEqual(await discover({ broadcast: null, hosts: ['127.0.0.1:9'], signal: aborted.signal }), []);
    await resourcesBackTo(baseline, 1000);
  });

  it('rejects unusable input with BAD_INPUT before sending anything', async () => {
    await rejectsWith(discover({ broadcast: 'everyone' }), ErrorCode.BAD_INPUT, /broadcast address "everyone" is not an IPv4 address/);
    await rejectsWith(discover({ broadcast: '::1' }), ErrorCode.BAD_INPUT, /not an IPv4 address/);
    await rejectsWith(discover({ broadcast: null, hosts: ['127.0.0.1:70000'] }), ErrorCode.BAD_INPUT, /65535/);
    await rejectsWith(discover({ broadcast: null, hosts: ['[::1]:9999'] }), ErrorCode.BAD_INPUT, /is not a host/);
    await rejectsWith(discover({ broadcast: null, hosts: ['bad_host!'] }), ErrorCode.BAD_INPUT, /neither an IPv4 address nor a host name/);
    await rejectsWith(discover({ broadcast: null, hosts: ['127.0.0.1'], port: 0 }), ErrorCode.BAD_INPUT, /port must be/);
    await rejectsWith(discover({ broadcast: null, hosts: ['127.0.0.1'], timeoutMs: -5 }), ErrorCode.BAD_INPUT, /search timeout must be/);
    await rejectsWith(discover({ broadcast: null, hosts: ['127.0.0.1'], timeoutMs: 99_999_999_999 }), ErrorCode.BAD_INPUT, /search timeout must be/);
    await rejectsWith(discover({ broadcast: null, hosts: ['127.0.0.1'], rounds: 0 }), ErrorCode.BAD_INPUT, /rounds/);
    await rejectsWith(discover({ broadcast: null, hosts: ['127.0.0.1'], rounds: 1000 }), ErrorCode.BAD_INPUT, /rounds/);
    const many = Array.from({ length: 255 }, (_v, i) => `127.0.0.${(i % 250) + 1}`);
    await rejectsWith(discover({ broadcast: null, hosts: many }), ErrorCode.BAD_INPUT, /at most 254/);
  });

  it('explains a local address that is not this machine', async () => {
    const baseline = openResources();
    // 192.0.2.1 is a documentation address: binding to it fails locally, nothing is sent.
    await rejectsWith(
      discover({ broadcast: null, hosts: [`127.0.0.1:${plug.udpPort!}`], bindAddress: '192.0.2.1', timeoutMs: 500 }),
      ErrorCode.BAD_INPUT,
      /192\.0\.2\.1 does not belong to this machine/,
    );
    await resourcesBackTo(baseline, 1000);
  });
});

describe('GET /kasa-flows/discover in a Node-RED runtime', () => {
  let plug: SimulatedDevice;

  /** Registers the real endpoint as tplink-device will, without the rest of that node. */
  function discoveryEndpointModule(RED: NodeAPI): void {
    registerDiscoveryEndpoint(RED);
  }

  before(async () => {
    helper.init(require.resolve('node-red'));
    plug = await startSimulator('hs110', 'Endpoint plug');
    await helper.load(discoveryEndpointModule, [{ id: 'f1', type: 'tab', label: 'discovery' }]);
  });
  after(async () => {
    await helper.unload();
    await plug.stop();
  });

  it('answers 200 with the devices found', async () => {
    assert.equal(DISCOVERY_PATH, '/kasa-flows/discover');
    const res = await within(
      Promise.resolve(helper.request().get(`/kasa-flows/discover?hosts=127.0.0.1:${plug.udpPort!}&timeout=1000`)),
      5000,
      'the discovery endpoint',
    );
    assert.equal(res.status, 200);
    const body = res.body as { devices: DiscoveredDevice[] };
    assert.equal(body.devices.length, 1);
    assert.deepEqual(
      { ...body.devices[0], mac: undefined },
      {
        host: '127.0.0.1',
        port: plug.udpPort!,
        alias: 'Endpoint plug',
        model: 'HS110(EU)',
        mac: undefined,
        deviceId: plug.state.deviceId,
        type: 'IOT.SMARTPLUGSWITCH',
        outlets: 0,
        hasEnergyMeter: true,
        family: 'iot',
        encryption: 'xor',
        httpPort: null,
        https: false,
        needsAccount: false,
        factoryDefault: false,
        owner: '',
        loginVersion: null,
        hub: false,
        answered: ['xor'],
      },
    );
    assert.equal(body.devices[0]!.mac, plug.state.mac);
  });

  it('answers 200 with an empty list from a loopback broadcast nobody answers', async () => {
    const port = await silentPort();
    const res = await helper.request().get(`/kasa-flows/discover?broadcast=${LOOPBACK_BROADCAST}&port=${port}&tdpPort=${port}&timeout=500`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { devices: [], timeoutMs: 500 });
  });

  it('brings the timeout into 500..10000 ms, as the dialog sends the device timeout', async () => {
    const port = await silentPort();
    const started = Date.now();
    const res = await helper.request().get(`/kasa-flows/discover?hosts=127.0.0.1:${port}&timeout=20`);
    const elapsed = Date.now() - started;
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { devices: [], timeoutMs: 500 }, 'the answer says the timeout it used');
    assert.ok(elapsed >= 450 && elapsed < 3000, `listened at least 500 ms: ${elapsed} ms`);
    assert.equal(discoveryOptions({ timeout: '600000', hosts: '127.0.0.1' }).timeoutMs, 10_000);
    assert.equal(discoveryOptions({ timeout: '20', hosts: '127.0.0.1' }).timeoutMs, 500);
    assert.equal(discoveryOptions({ hosts: '127.0.0.1' }).timeoutMs, 3000);
  });

  it('asks only the hosts when no broadcast is given with them, and broadcasts when nothing is given', () => {
    assert.deepEqual(discoveryOptions({ hosts: '127.0.0.1:1, 127.0.0.2' }), {
      broadcast: null,
      hosts: ['127.0.0.1:1', '127.0.0.2'],
      port: 9999,
      tdpPort: 20002,
      timeoutMs: 3000,
    });
    assert.equal(discoveryOptions({ hosts: '127.0.0.1', broadcast: ' 127.255.255.255 ' }).broadcast, '127.255.255.255');
    // Nothing given: the default broadcast (only checked here, never sent by a test).
    assert.equal(discoveryOptions({}).broadcast, undefined);
  });

  it('answers 400 with a code for bad parameters', async () => {
    const cases: Array<[string, RegExp]> = [
      ['timeout=abc&hosts=127.0.0.1:1', /timeout must be a whole number/],
      ['timeout=-5&hosts=127.0.0.1:1', /timeout must be a whole number/],
      ['timeout=1.5&hosts=127.0.0.1:1', /timeout must be a whole number/],
      ['port=0&hosts=127.0.0.1', /port must be/],
      ['tdpPort=70000&hosts=127.0.0.1', /tdpPort must be/],
      ['hosts=127.0.0.1:99999', /65535/],
      ['broadcast=nope&hosts=127.0.0.1:1', /broadcast address "nope"/],
      ['hosts=127.0.0.1:1&hosts=127.0.0.1:2', /once/],
      [`hosts=${Array.from({ length: 65 }, (_v, i) => `127.0.0.${i + 1}:1`).join(',')}`, /at most 64/],
    ];
    for (const [query, message] of cases) {
      const res = await helper.request().get(`/kasa-flows/discover?${query}`);
      assert.equal(res.status, 400, query);
      const body = res.body as { error: string; code: string };
      assert.equal(body.code, 'BAD_INPUT', query);
      assert.match(body.error, message, query);
    }
  });
});
