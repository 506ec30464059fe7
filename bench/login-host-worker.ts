/**
 * Worker-thread entry for the login benchmark: three simulated Tapo P110s bound to one account,
 * speaking SMART over KLAP v2, AES and TPAP. In their own thread, as for the request benchmark:
 * the device's side of a login (TPAP's PBKDF2 and point arithmetic) is not paid by the client measured.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SmartSimulatedDevice } from '../src/simulator/smart/server';

export type LoginHostMessage = { kind: 'ready'; ports: Record<'klap' | 'aes' | 'tpap', number> } | { kind: 'stopped' } | { kind: 'failed'; message: string };

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('login-host-worker must run in a worker thread');
  const account = workerData as { username: string; password: string };
  const sims = (['klap', 'aes', 'tpap'] as const).map((transport) => new SmartSimulatedDevice({ model: 'p110', transport, tdpPort: null, ...account }));
  for (const sim of sims) await sim.start();
  port.once('message', () => {
    Promise.all(sims.map((sim) => sim.stop())).then(
      () => port.postMessage({ kind: 'stopped' } satisfies LoginHostMessage),
      (err: unknown) => port.postMessage({ kind: 'failed', message: String(err) } satisfies LoginHostMessage),
    );
  });
  port.postMessage({ kind: 'ready', ports: { klap: sims[0]!.port, aes: sims[1]!.port, tpap: sims[2]!.port } } satisfies LoginHostMessage);
}

main().catch((err: unknown) => parentPort?.postMessage({ kind: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies LoginHostMessage));
