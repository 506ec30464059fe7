/** The main thread's handle on the simulated devices, which run in a worker thread (device-host-worker). */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { KlapServerStats } from '../src/simulator/klap-server';
import type { SimulatorStats } from '../src/simulator';
import type { SmartModelName } from '../src/simulator/smart/models';

export interface HostOptions {
  /** HS110s on TCP, each on its own ephemeral port of 127.0.0.1. */
  devices: number;
  /** The devices answer UDP too (for tplink-smarthome-api's shared socket); default false. */
  udp?: boolean;
  /** Tapo devices speaking SMART over KLAP v2, unbound (Tapo default credentials), each on its own port, by model. */
  tapo?: Partial<Record<SmartModelName, number>>;
}

export interface HostStats {
  xor: SimulatorStats[];
  klap: KlapServerStats;
  /** The simulated Tapo P110 (SMART over KLAP v2). */
  smart: KlapServerStats;
  /** Its relay: whether it is on now, and how often it has changed since the start. */
  smartRelay: { on: boolean; changes: number };
  /** The Tapo fleet (HostOptions.tapo), in the order of DeviceHost.tapoPorts. */
  tapo: KlapServerStats[];
}

export type HostCommand = { kind: 'stats'; id: number } | { kind: 'stop' };

export type HostMessage =
  | {
      kind: 'ready';
      xorPorts: number[];
      udpPorts: Array<number | undefined>;
      deviceIds: string[];
      klapPort: number;
      smartPort: number;
      smartDeviceId: string;
      tapoPorts: Record<string, number[]>;
      tapoOffsets: Record<string, number>;
    }
  | ({ kind: 'stats'; id: number } & HostStats)
  | { kind: 'stopped' }
  | { kind: 'failed'; message: string };

export const HOST = '127.0.0.1';

export class DeviceHost {
  private nextId = 0;
  private readonly waiting = new Map<number, (stats: HostStats) => void>();
  private stopped: Promise<void> | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly xorPorts: readonly number[],
    /** Each XOR device's UDP port (usually its TCP port number); undefined without `udp`. */
    readonly udpPorts: ReadonlyArray<number | undefined>,
    /** deviceId of each XOR device, to check replies came from the right one. */
    readonly deviceIds: readonly string[],
    /** Answers from the state of the first XOR device. */
    readonly klapPort: number,
    /** A simulated Tapo P110 speaking SMART over KLAP v2, and its device_id. */
    readonly smartPort: number,
    readonly smartDeviceId: string,
    /** The Tapo fleet's ports by model, and where each model's devices start in HostStats.tapo. */
    readonly tapoPorts: Readonly<Record<string, readonly number[]>>,
    readonly tapoOffsets: Readonly<Record<string, number>>,
  ) {
    worker.on('message', (message: HostMessage) => {
      if (message.kind !== 'stats') return;
      this.waiting.get(message.id)?.({ xor: message.xor, klap: message.klap, smart: message.smart, smartRelay: message.smartRelay, tapo: message.tapo });
      this.waiting.delete(message.id);
    });
  }

  static start(options: HostOptions): Promise<DeviceHost> {
    const worker = new Worker(path.join(__dirname, 'device-host-worker.js'), { workerData: options });
    return new Promise((resolve, reject) => {
      const fail = (err: Error): void => {
        void worker.terminate();
        reject(err);
      };
      worker.once('error', fail);
      worker.once('message', (message: HostMessage) => {
        worker.off('error', fail);
        if (message.kind === 'ready') {
          const { xorPorts, udpPorts, deviceIds, klapPort, smartPort, smartDeviceId, tapoPorts, tapoOffsets } = message;
          resolve(new DeviceHost(worker, xorPorts, udpPorts, deviceIds, klapPort, smartPort, smartDeviceId, tapoPorts, tapoOffsets));
        }
        else fail(new Error(`the simulated devices did not start: ${message.kind === 'failed' ? message.message : message.kind}`));
      });
    });
  }

  /** Counters of every device as the devices see them. */
  stats(): Promise<HostStats> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.worker.postMessage({ kind: 'stats', id } satisfies HostCommand);
    });
  }

  /** Stops the devices and resolves once the worker thread has exited. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve, reject) => {
      this.worker.once('exit', () => resolve());
      this.worker.once('error', reject);
      this.worker.postMessage({ kind: 'stop' } satisfies HostCommand);
    });
    return this.stopped;
  }
}
