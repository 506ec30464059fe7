import assert from 'node:assert/strict';
import { SmartClient } from '../../src/family/smart/client';
import { KasaError } from '../../src/util/errors';
import { SmartSimulatedDevice, SmartSimulatedDeviceOptions } from '../../src/simulator/smart/server';
import { AesTransport } from '../../src/transport/aes';
import { KlapTransport } from '../../src/transport/klap';

export interface SmartRig {
  sim: SmartSimulatedDevice;
  client: SmartClient;
}

/**
 * A simulated SMART device on 127.0.0.1 (no TDP) and a SmartClient to it over a real KLAP v2 or
 * AES transport, as the device's `transport` option says; both closed afterwards.
 */
export async function withSmartSim(options: SmartSimulatedDeviceOptions, body: (rig: SmartRig) => Promise<void>): Promise<void> {
  const sim = new SmartSimulatedDevice({ host: '127.0.0.1', tdpPort: null, ...options });
  const port = await sim.start();
  const transport =
    sim.transport === 'aes' ? new AesTransport({ host: '127.0.0.1', port }) : new KlapTransport({ host: '127.0.0.1', port, family: 'smart' });
  const client = new SmartClient({ transport, timeoutMs: 5000 });
  try {
    await body({ sim, client });
  } finally {
    await client.close();
    await sim.stop();
  }
}

/** A rejection carrying the device's SMART error code. */
export function smartError(code: number): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof KasaError, String(err));
    assert.equal(err.errCode, code, err.message);
    return true;
  };
}

/** Simulated SMART devices a test file starts on 127.0.0.1 as it needs them, all stopped by `stopAll`. */
export function smartSims(): { start(options: Omit<SmartSimulatedDeviceOptions, 'host'>): Promise<SmartSimulatedDevice>; stopAll(): Promise<void> } {
  const started: SmartSimulatedDevice[] = [];
  return {
    async start(options) {
      const sim = new SmartSimulatedDevice({ host: '127.0.0.1', ...options });
      await sim.start();
      started.push(sim);
      return sim;
    },
    async stopAll() {
      for (const sim of started.splice(0)) await sim.stop();
    },
  };
}
