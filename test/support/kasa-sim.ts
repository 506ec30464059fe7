import type { TestContext } from 'node:test';
import { KasaClient } from '../../src/family/iot/client';
import type { ModelName } from '../../src/simulator/models';
import { SimulatedDevice } from '../../src/simulator/server';

type Json = Record<string, unknown>;

/** A started simulated Kasa device (TCP only) and a client on it, both closed after the test. */
export async function startKasaSim(t: TestContext, model: ModelName, seed: string): Promise<{ device: SimulatedDevice; client: KasaClient }> {
  const device = new SimulatedDevice({ model, udp: false, seed });
  await device.start();
  const client = new KasaClient({ host: '127.0.0.1', port: device.port, timeoutMs: 3000 });
  t.after(async () => {
    await client.close();
    await device.stop();
  });
  return { device, client };
}

/** The reply of one method, err_code included, unchecked; a module the device lacks answers with the module's own err_code. */
export async function callMethod(client: KasaClient, module: string, method: string, args: unknown = {}): Promise<Json> {
  const { reply } = await client.exchange({ [module]: { [method]: args } });
  const answer = reply[module] as Json;
  return 'err_code' in answer ? answer : (answer[method] as Json);
}

export function sysinfoOf(client: KasaClient): Promise<Json> {
  return callMethod(client, 'system', 'get_sysinfo');
}
