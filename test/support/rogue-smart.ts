import { KlapServer } from '../../src/simulator/klap-server';
import { SmartDevice } from '../../src/simulator/smart/device';
import type { SmartModelName } from '../../src/simulator/smart/models';
import { TAPO_DEFAULT_PASSWORD, TAPO_DEFAULT_USERNAME } from '../../src/transport/klap/credentials';

/**
 * A SMART device over KLAP v2 on 127.0.0.1 that answers whatever the test says: the project's
 * KlapServer (real handshake, session and encryption) with a `handle` of its own. `answer` sees
 * each request and returns the reply text, or undefined to let the simulated device of `model`
 * answer as an honest one would; inside a multipleRequest it sees each entry too, so a rogue
 * answer reaches a method whether it comes alone or in a batch. `methods` lists the methods
 * asked, in order (a batch's own entries after it).
 */
export class RogueSmartDevice {
  readonly device: SmartDevice;
  readonly klap: KlapServer;
  readonly methods: string[] = [];
  answer: (request: Record<string, unknown>) => string | undefined = () => undefined;

  constructor(model: SmartModelName) {
    this.device = new SmartDevice({ model });
    this.klap = new KlapServer({
      version: 2,
      bound: false,
      defaultCredentials: { username: TAPO_DEFAULT_USERNAME, password: TAPO_DEFAULT_PASSWORD },
      handle: (json) => {
        const request = JSON.parse(json) as Record<string, unknown>;
        if (typeof request['method'] === 'string') this.methods.push(request['method']);
        return this.answer(request) ?? this.inBatch(request) ?? this.device.handle(json);
      },
    });
  }

  get port(): number {
    return this.klap.port;
  }

  /** Requests that reached the device (the Kasa probe of the first use included). */
  get requests(): number {
    return this.klap.stats.requests;
  }

  start(): Promise<number> {
    return this.klap.start();
  }

  stop(): Promise<void> {
    return this.klap.stop();
  }

  /**
   * A batch in which `answer` has something to say of an entry: the honest answers for the others,
   * its answers for those (an answer that is no JSON object spoils the whole batch's reply).
   */
  private inBatch(request: Record<string, unknown>): string | undefined {
    const params = request['params'];
    const entries = request['method'] === 'multipleRequest' && typeof params === 'object' && params !== null ? (params as { requests?: unknown }).requests : undefined;
    if (!Array.isArray(entries)) return undefined;
    const inner = entries.filter((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null);
    for (const entry of inner) if (typeof entry['method'] === 'string') this.methods.push(entry['method']);
    const rogue = inner.map((entry) => this.answer(entry));
    if (rogue.every((answer) => answer === undefined)) return undefined;
    const responses: unknown[] = [];
    for (const [index, entry] of inner.entries()) {
      const text = rogue[index] ?? this.device.handle(JSON.stringify(entry));
      let answer: unknown;
      try {
        answer = JSON.parse(text);
      } catch {
        return text;
      }
      if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return text;
      responses.push({ method: entry['method'], ...answer });
    }
    return JSON.stringify({ error_code: 0, result: { responses } });
  }
}

/** `request` is `method`, or a control_child whose requestData is (or holds in a batch) `method`. */
export function asks(request: Record<string, unknown>, method: string): boolean {
  if (request['method'] === method) return true;
  if (request['method'] !== 'control_child') return false;
  const inner = (request['params'] as Record<string, unknown> | undefined)?.['requestData'] as Record<string, unknown> | undefined;
  return inner?.['method'] === method;
}
