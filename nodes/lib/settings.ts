import type { Node } from 'node-red';
import { NumberRange, checkNumber } from '../../src/util/bounds';
import { KasaError } from '../../src/util/errors';
import { statusText } from './i18n';

/**
 * A node's numeric settings, checked when the flow is deployed. An out-of-range one is logged and
 * shown in the status at once, and every message the node gets then fails with the same BAD_INPUT:
 * a typo in a dialog never turns into a timer that fires a thousand times a second.
 */
export class NodeSettings {
  #problem: KasaError | undefined;

  constructor(private readonly node: Node) {}

  /** The setting in its range, or `fallback` when empty; out of range: remembered, logged, `fallback`. */
  number(value: unknown, range: NumberRange, fallback: number): number {
    try {
      return checkNumber(value, range, fallback);
    } catch (err) {
      if (this.#problem === undefined && err instanceof KasaError) {
        this.#problem = err;
        this.node.error(err.message);
        this.node.status({ fill: 'red', shape: 'ring', text: statusText('badSetting', { name: range.name.toLowerCase() }) });
      }
      return fallback;
    }
  }

  get valid(): boolean {
    return this.#problem === undefined;
  }

  /** Throws the first bad setting's error (for each message while the node is misconfigured). */
  check(): void {
    if (this.#problem !== undefined) throw this.#problem;
  }
}
