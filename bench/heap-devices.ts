/**
 * Worker-thread entry of the heap run (bench/heap.ts): the simulated Kasa and Tapo devices, and
 * the faults they show. In a thread of their own they have their own V8 heap, so the runtime's
 * heap figures are the runtime's alone.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FAULT_KINDS, Fault, FaultKind, ModelName, SimulatedDevice, startFleet } from '../src/simulator';
import { SmartSimulatedDevice } from '../src/simulator/smart/server';
import type { SmartModelName } from '../src/simulator/smart/models';
import type { KlapServer } from '../src/simulator/klap-server';

export interface HeapDevicesOptions {
  kasa: number;
  tapo: number;
  /** A fault somewhere every this many ms; 0: none. */
  faultEveryMs: number;
  seed: number;
}

export interface HeapDevice {
  family: 'kasa' | 'tapo';
  model: string;
  port: number;
  /** The device has several outlets: nodes address outlet 1. */
  strip: boolean;
  /** The device has an energy meter. */
  meter: boolean;
}

export type HeapDevicesMessage =
  | { kind: 'ready'; devices: HeapDevice[] }
  | { kind: 'faults'; id: number; counts: Record<string, number> }
  | { kind: 'stopped' }
  | { kind: 'failed'; message: string };

export type HeapDevicesCommand = { kind: 'faults'; id: number } | { kind: 'stop' };

export const KASA_MODELS: readonly ModelName[] = ['hs110', 'hs110v2', 'hs300', 'kp303'];
export const TAPO_MODELS: readonly SmartModelName[] = ['p110', 'p110m', 'p300'];
const KASA_METERED = new Set<string>(['hs110', 'hs110v2', 'hs300']);
const STRIPS = new Set<string>(['hs300', 'kp303', 'p300']);

/** mulberry32, so a run's faults can be told again from its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('heap-devices must run in a worker thread');
  const options = workerData as HeapDevicesOptions;
  const draw = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(draw() * items.length)]!;
  const kasa = await startFleet({ count: options.kasa, models: KASA_MODELS });
  const tapoModels = Array.from({ length: options.tapo }, (_unused, i) => TAPO_MODELS[i % TAPO_MODELS.length]!);
  const tapo = tapoModels.map((model, i) => new SmartSimulatedDevice({ model, tdpPort: null, nickname: `heap tapo ${i}` }));
  await Promise.all(tapo.map((device) => device.start()));
  const counts: Record<string, number> = {};
  const count = (what: string): void => void (counts[what] = (counts[what] ?? 0) + 1);
  const down = new Set<SimulatedDevice>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, run: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };

  const kasaFault = (kind: FaultKind): Fault => {
    if (kind === 'delay') return { kind, ms: 50 + Math.floor(draw() * 800) };
    if (kind === 'err-code') return { kind, code: pick([-1, -3, -10]) };
    return { kind } as Fault;
  };
  const chaos = (): void => {
    if (draw() < 0.6 && kasa.devices.length > 0) {
      const device = pick(kasa.devices);
      if (draw() < 0.1) {
        if (down.has(device)) return;
        down.add(device); // unplugged for a while, then back on the same port
        count('kasa:restart');
        void device.stop().then(() => later(200 + Math.floor(draw() * 2000), () => void device.start().finally(() => down.delete(device))));
        return;
      }
      const kind = pick(FAULT_KINDS);
      device.injectFault(kasaFault(kind), { times: 1 + Math.floor(draw() * 2) });
      count(`kasa:${kind}`);
    } else if (tapo.length > 0) {
      const device = pick(tapo);
      const klap = device.server as KlapServer;
      const r = draw();
      if (r < 0.3) {
        device.device.failSessionNext(1, pick([9999, -1001]));
        count('tapo:session-error');
      } else if (r < 0.55) {
        klap.dropNextReplies(1);
        count('tapo:drop-reply');
      } else if (r < 0.75) {
        void klap.dropConnections();
        count('tapo:drop-connections');
      } else if (r < 0.9) {
        device.device.refuseBatches = -1003;
        later(2000, () => (device.device.refuseBatches = undefined));
        count('tapo:refuse-batches');
      } else {
        klap.replyDelayMs = 200 + Math.floor(draw() * 800);
        later(2000, () => (klap.replyDelayMs = 0));
        count('tapo:slow');
      }
    }
  };
  const chaosTimer = options.faultEveryMs > 0 ? setInterval(chaos, options.faultEveryMs) : null;

  const send = (message: HeapDevicesMessage): void => port.postMessage(message);
  const onCommand = (command: HeapDevicesCommand): void => {
    if (command.kind === 'faults') {
      send({ kind: 'faults', id: command.id, counts: { ...counts } });
      return;
    }
    port.off('message', onCommand);
    if (chaosTimer !== null) clearInterval(chaosTimer);
    for (const timer of timers) clearTimeout(timer);
    Promise.all([kasa.stop(), ...tapo.map((device) => device.stop())]).then(
      () => send({ kind: 'stopped' }),
      (err: unknown) => send({ kind: 'failed', message: String(err) }),
    );
  };
  port.on('message', onCommand);
  send({
    kind: 'ready',
    devices: [
      ...kasa.devices.map((device) => ({ family: 'kasa' as const, model: device.model, port: device.port, strip: STRIPS.has(device.model), meter: KASA_METERED.has(device.model) })),
      ...tapo.map((device, i) => ({ family: 'tapo' as const, model: tapoModels[i]!, port: device.port, strip: STRIPS.has(tapoModels[i]!), meter: tapoModels[i] !== 'p300' })),
    ],
  });
}

main().catch((err: unknown) => {
  parentPort?.postMessage({ kind: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies HeapDevicesMessage);
});
