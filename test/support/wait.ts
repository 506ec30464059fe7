import { once, EventEmitter } from 'node:events';

/** Resolves with the promise's value, or rejects after `ms` so no test can hang. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The next `event` of an emitter, bounded in time. */
export async function next<T = unknown>(emitter: EventEmitter, event: string, ms = 5000): Promise<T> {
  const [value] = await within(once(emitter, event), ms, `event "${event}"`);
  return value as T;
}

/** Counts of the process's live resources that a leak would leave behind. */
export function openResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPSocketWrap' || kind === 'TCPServerWrap' || kind === 'UDPWrap' || kind === 'Timeout') {
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
  }
  return counts;
}

/** Waits (bounded) until the live resources are back to a baseline; sockets close asynchronously. */
export async function resourcesBackTo(baseline: Record<string, number>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const now = openResources();
    const extra = Object.entries(now).filter(([kind, n]) => n > (baseline[kind] ?? 0));
    if (extra.length === 0) return;
    if (Date.now() > deadline) throw new Error(`resources left open: ${JSON.stringify(now)} (baseline ${JSON.stringify(baseline)})`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Waits (bounded) until `condition` holds, checking on every turn of the event loop: for state
 * inside a component that emits no event of its own (a transport letting go of its connection).
 */
export async function waitFor(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Waits (bounded) until `condition` holds, checking now and at each `event` of the emitter. */
export function until(emitter: EventEmitter, event: string, condition: () => boolean, ms = 5000): Promise<void> {
  let check = (): void => undefined;
  const met = new Promise<void>((resolve) => {
    check = () => {
      if (condition()) resolve();
    };
    emitter.on(event, check);
    check();
  });
  return within(met, ms, `"${event}" events until the condition held`).finally(() => emitter.off(event, check));
}
