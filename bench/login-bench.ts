/**
 * The HTTP logins side by side: KLAP v2, AES and TPAP to simulated Tapo P110s (in a worker thread),
 * {"method":"get_device_info"} through SmartClient. Per round and login: a fresh transport's first
 * request (the login plus one request, what a flow's first message waits for), then requests/s over
 * that one session. Turns rotate between the logins round by round.
 */
import * as path from 'node:path';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { SmartClient } from '../src/family/smart/client';
import { AesTransport } from '../src/transport/aes';
import { KlapTransport } from '../src/transport/klap';
import { TpapTransport } from '../src/transport/tpap';
import type { Transport } from '../src/transport/transport';
import type { LoginHostMessage } from './login-host-worker';
import { Summary, formatSummary, summarise } from './stats';
import { Row, renderTable } from './table';

const HOST = '127.0.0.1';
const ACCOUNT = { username: 'bench@example.com', password: 'bench password' };
const LOGINS = ['klap', 'aes', 'tpap'] as const;
type Login = (typeof LOGINS)[number];

export interface LoginResult {
  login: Login;
  /** Milliseconds from a fresh transport to the first request's answer. */
  firstRequestMs: Summary;
  /** Requests per second over the session that login opened. */
  rate: Summary;
}

function transportFor(login: Login, port: number): Transport {
  const common = { host: HOST, port, ...ACCOUNT };
  if (login === 'klap') return new KlapTransport({ ...common, family: 'smart' });
  if (login === 'aes') return new AesTransport(common);
  return new TpapTransport(common);
}

async function oneRound(login: Login, port: number, roundMs: number): Promise<{ firstMs: number; rate: number }> {
  const transport = transportFor(login, port);
  const client = new SmartClient({ transport, timeoutMs: 10_000 });
  try {
    const started = performance.now();
    await client.call('get_device_info');
    const firstMs = performance.now() - started;
    let requests = 0;
    const from = performance.now();
    while (performance.now() - from < roundMs) {
      await client.call('get_device_info');
      requests++;
    }
    return { firstMs, rate: requests / ((performance.now() - from) / 1000) };
  } finally {
    await client.close();
  }
}

export async function runLoginBench(settings: { rounds: number; roundMs: number }): Promise<LoginResult[]> {
  const worker = new Worker(path.join(__dirname, 'login-host-worker.js'), { workerData: ACCOUNT });
  const [ready] = (await once(worker, 'message')) as [LoginHostMessage];
  if (ready.kind !== 'ready') throw new Error(`login bench devices: ${ready.kind === 'failed' ? ready.message : ready.kind}`);
  const samples = new Map<Login, { first: number[]; rates: number[] }>(LOGINS.map((login) => [login, { first: [], rates: [] }]));
  try {
    for (let round = 0; round < settings.rounds; round++) {
      // Rotated turns: no login always runs first (or last) in a round.
      const order = LOGINS.map((_, i) => LOGINS[(i + round) % LOGINS.length]!);
      for (const login of order) {
        const { firstMs, rate } = await oneRound(login, ready.ports[login], settings.roundMs);
        samples.get(login)!.first.push(firstMs);
        samples.get(login)!.rates.push(rate);
      }
    }
  } finally {
    worker.postMessage('stop');
    await once(worker, 'message');
    await worker.terminate();
  }
  return LOGINS.map((login) => ({ login, firstRequestMs: summarise(samples.get(login)!.first), rate: summarise(samples.get(login)!.rates) }));
}

const LABELS: Record<Login, string> = { klap: 'KLAP v2', aes: 'AES securePassthrough', tpap: 'TPAP (SPAKE2+, AES-128-CCM)' };

export function loginTable(results: readonly LoginResult[]): string {
  const rows: Row[] = results.map((r) => [LABELS[r.login], formatSummary(r.firstRequestMs), formatSummary(r.rate)]);
  return renderTable(['login', 'login + first request (ms)', 'requests/s over one session'], rows);
}
