import type { Node } from 'node-red';
import { NumberRange, checkNumber } from '../../src/util/bounds';
import { ErrorCode, KasaError } from '../../src/util/errors';
import { hostProblem } from '../../src/util/host-name';
import { statusText } from './i18n';

/**
 * A node's settings, checked when the flow is deployed. A bad one is logged and shown in the
 * status at once, and every message the node gets then fails with the same BAD_INPUT: a typo in a
 * dialog never turns into a timer that fires a thousand times a second, nor into a DNS lookup.
 */
export class NodeSettings {
  #problem: KasaError | undefined;

  constructor(private readonly node: Node) {}

  /** The setting in its range, or `fallback` when empty; out of range: remembered, logged, `fallback`. */
  number(value: unknown, range: NumberRange, fallback: number): number {
    try {
      return checkNumber(value, range, fallback);
    } catch (err) {
      if (err instanceof KasaError) this.#remember(err, range.name.toLowerCase());
      return fallback;
    }
  }

  /**
   * A device's address, checked by its syntax alone as the command-line tools check `-t`: an
   * address or a host name, no port. Empty stays empty (the device says so when it is used).
   */
  host(value: unknown): string {
    const host = String(value ?? '').trim();
    const problem = host === '' ? undefined : hostProblem(host, 'the Port field (the HTTP port field for KLAP and AES)');
    if (problem !== undefined) this.#remember(new KasaError(ErrorCode.BAD_INPUT, `Host: ${problem}`), 'host');
    return host;
  }

  #remember(err: KasaError, setting: string): void {
    if (this.#problem !== undefined) return;
    this.#problem = err;
    this.node.error(err.message);
    this.node.status({ fill: 'red', shape: 'ring', text: statusText('badSetting', { name: setting }) });
  }

  get valid(): boolean {
    return this.#problem === undefined;
  }

  /** Throws the first bad setting's error (for each message while the node is misconfigured). */
  check(): void {
    if (this.#problem !== undefined) throw this.#problem;
  }
}
