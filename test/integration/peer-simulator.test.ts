import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
// The independent simulator from npm: a second opinion on what a device answers.
import { Device } from 'tplink-smarthome-simulator';
import { KasaClient } from '../../src/family/iot/client';
import { IotDevice } from '../../src/family/iot/device';
import { runSmartplug } from '../../src/cli/smartplug';
import { startPeer } from '../support/peer';

async function withPeer<T>(model: string, run: (device: IotDevice, peer: Device) => Promise<T>): Promise<T> {
  const peer = await startPeer({ model, data: { alias: `peer ${model}` } });
  const client = new KasaClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 3000 });
  try {
    return await run(new IotDevice(client), peer);
  } finally {
    await client.close();
    await peer.stop();
  }
}

describe('interoperability with tplink-smarthome-simulator', () => {
  for (const model of ['hs110', 'hs110v2']) {
    it(`${model}: reads sysinfo, switches on and off with read-back, reads the meter`, async () => {
      await withPeer(model, async (device) => {
        const { info } = await device.getSysinfo();
        assert.equal(info.alias, `peer ${model}`);
        assert.equal(info.hasEnergyMeter, true);
        assert.equal((await device.setPower(true)).on, true);
        assert.equal((await device.getSysinfo()).info.on, true);
        assert.equal((await device.setPower(false)).on, false);
        assert.equal((await device.setPower('toggle')).on, true);
        const { reading } = await device.realtime();
        for (const key of ['power', 'voltage', 'current', 'total'] as const) assert.equal(typeof reading[key], 'number', key);
        assert.ok(reading.voltage > 50 && reading.voltage < 300, `voltage in volts, not millivolts: ${reading.voltage}`);
      });
    });
  }

  it('hs110 and hs110v2 give the same normalised numbers for the same reading', async () => {
    // The peer keeps one reading and sends it as floats (hs110) or as mV/mA/mW/Wh integers (hs110v2).
    const sameReading = { voltage: 230.5, current: 0.5, power: 115.25, total: 12.5 };
    const readings = [];
    for (const model of ['hs110', 'hs110v2']) {
      readings.push(
        await withPeer(model, async (device, peer) => {
          (peer.data as unknown as { emeter: { realtime: unknown } }).emeter.realtime = { ...sameReading };
          return (await device.realtime()).reading;
        }),
      );
    }
    assert.deepEqual(readings[0], sameReading);
    assert.deepEqual(readings[1], sameReading);
  });

  it('hs300: switches one outlet on and off by child context', async () => {
    await withPeer('hs300', async (device) => {
      const outlets = await device.resolveOutlets('all');
      assert.equal(outlets.length, 6);
      const second = outlets[1]!;
      const on = await device.children([second]).setPower(true);
      assert.equal(on.on, true);
      assert.deepEqual(on.outlets.map((o) => o.index), [2]);
      const off = await device.children([second]).setPower(false);
      assert.equal(off.on, false);
      assert.equal((await device.getSysinfo()).info.outlets?.[1]?.on, false);
    });
  });

  it('the CLI addresses an hs300 outlet by its 2-digit suffix', async () => {
    await withPeer('hs300', async (device, peer) => {
      const lines: string[] = [];
      const code = await runSmartplug(['-t', '127.0.0.1', '-p', String(peer.port), '-c', 'on', '-o', '03', '-q'], {
        out: (l) => lines.push(l),
        err: (l) => lines.push(`ERR ${l}`),
      });
      assert.equal(code, 0, lines.join('\n'));
      const info = (await device.getSysinfo()).info;
      assert.equal(info.outlets?.find((o) => o.index === 4)?.on, true);
    });
  });
});
