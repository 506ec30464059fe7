/**
 * What every simulated module shares: a module answers one or more request keys (its names, as
 * data), each with a table of methods, keeps its own state, and may add fields to sysinfo.
 */

export type Json = Record<string, unknown>;

export const ERR_MODULE = { err_code: -1, err_msg: 'module not support' } as const;
export const ERR_MEMBER = { err_code: -2, err_msg: 'member not support' } as const;
export const ERR_ARGUMENT = { err_code: -3, err_msg: 'invalid argument' } as const;
export const ERR_ENTRY = { err_code: -14, err_msg: 'entry not exist' } as const;

/** Who a per-outlet method addresses: the outlets named in the context, or the device itself. */
export type Target = { kind: 'device' } | { kind: 'outlets'; outlets: Outlet[] };

export type Handler = (args: Json, target: Target) => Json;

export interface MethodSpec {
  /** Honours `context.child_ids`; other methods ignore the context. */
  perOutlet?: boolean;
  /** Returns the method's reply; `err_code: 0` is added unless it has an err_code of its own. */
  run: Handler;
}

export type MethodTable = Record<string, MethodSpec>;

export interface SimModule {
  /** The request keys it answers, e.g. ["schedule", "count_down", "anti_theft"], to their methods. */
  readonly methods: Readonly<Record<string, MethodTable>>;
  /** Adds or fills in its sysinfo fields (called in module order, after the system module's). */
  sysinfo?(info: Json): void;
  /** Back to factory settings (system.reset); relays and meters stay as they are. */
  reset?(): void;
}

export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

export function isYear(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1970 && value <= 2100;
}

export function isMonth(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 12;
}

/** A relay: a plug's own, or one outlet of a strip. Modules keep their per-outlet state by its index. */
export interface Outlet {
  /** Strips: deviceId + 2-digit index. Plugs: the deviceId. */
  id: string;
  alias: string;
  on: boolean;
  /** When the relay last went on (ms since the epoch). */
  onSince: number;
}
