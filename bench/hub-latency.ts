/**
 * The event latency of hub sensors: from a press fired on the simulated H100's button to the
 * hub-sensor node's message in a real Node-RED runtime (in this process, with the simulator), at a
 * poll interval of 1 s. Presses come at random moments of the poll cycle, one at a time, so the
 * figures are what a person pressing a button sees: half an interval on average, plus the round trip.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import helper from 'node-red-node-test-helper';
import type { Node, NodeMessage } from 'node-red';
import type { DeviceHub } from '../src/device/device-hub';
import { SmartSimulatedDevice } from '../src/simulator/smart/server';
import tplinkDevice = require('../nodes/tplink-device');
import hubSensor = require('../nodes/hub-sensor');

export interface LatencyResult {
  /** Milliseconds from each press to its message. */
  samples: number[];
  intervalMs: number;
}

/** Longest wait for one press's message: a few intervals. */
const PER_PRESS_TIMEOUT_MS = 10_000;

export async function runHubLatencyBench(presses: number, intervalMs = 1000): Promise<LatencyResult> {
  helper.init(require.resolve('node-red'));
  const sim = new SmartSimulatedDevice({ host: '127.0.0.1', tdpPort: null, model: 'h100' });
  await sim.start();
  const button = sim.device.hub!.child('button');
  const arrivals: Array<(at: number) => void> = [];
  try {
    await helper.load([tplinkDevice, hubSensor], [
      { id: 'tab', type: 'tab', label: 'latency' },
      { id: 'dev', type: 'tplink-device', host: '127.0.0.1', transport: 'klap', klapPort: sim.port, timeout: 3000, tddpPort: 1040, tddpReplyPort: 61000 },
      { id: 'sensor', z: 'tab', x: 100, y: 100, type: 'hub-sensor', device: 'dev', child: button.id, pollInterval: intervalMs / 1000, wires: [['out']] },
      { id: 'out', z: 'tab', x: 300, y: 100, type: 'helper', wires: [] },
    ]);
    (helper.getNode('out') as Node).on('input', (msg: NodeMessage & { event?: string }) => {
      if (msg.event === 'press') arrivals.shift()?.(performance.now());
    });
    // The first poll learns where the log stands; timing starts after the second.
    await (helper.getNode('dev') as unknown as { hub: DeviceHub }).hub.polls(2, intervalMs);
    const samples: number[] = [];
    for (let i = 0; i < presses; i++) {
      await sleep(Math.random() * intervalMs);
      const arrived = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`press ${i + 1} did not arrive within ${PER_PRESS_TIMEOUT_MS} ms`)), PER_PRESS_TIMEOUT_MS);
        arrivals.push((at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
      const pressed = performance.now();
      sim.device.hub!.fire('button', { type: 'singleClick' });
      samples.push((await arrived) - pressed);
    }
    return { samples, intervalMs };
  } finally {
    await helper.unload();
    await sim.stop();
  }
}
