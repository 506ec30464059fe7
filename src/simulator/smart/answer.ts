/** What a simulated SMART method answers: error_code, and a result when there is one. */
export interface SmartAnswer {
  error_code: number;
  result?: Record<string, unknown>;
}

/** The codes the simulator answers (PROTOCOL.md section 5). */
export const SIM_CODES = {
  ok: 0,
  unknownMethod: -1002,
  jsonDecode: -1003,
  params: -1008,
  sessionTimeout: 9999,
} as const;

export const ok = (result?: Record<string, unknown>): SmartAnswer => (result === undefined ? { error_code: 0 } : { error_code: 0, result });
export const fail = (code: number): SmartAnswer => ({ error_code: code });

/** A method handler of one part of a simulated device; undefined when the part has no such method. */
export type MethodTable = Readonly<Record<string, (params: Record<string, unknown> | undefined) => SmartAnswer>>;

export function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** A base64 nickname from a client, as text; undefined when it is not base64 of UTF-8 of a sane length. */
export function fromBase64(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 200 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'base64'));
    return text.length > 0 && text.length <= 64 ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One page of a child list, as get_child_device_list answers: `pageSize` entries from
 * `start_index` (0 when not given), with `start_index` and `sum`; -1008 for a bad start.
 */
export function pageOf<T>(params: Record<string, unknown> | undefined, key: string, items: readonly T[], pageSize: number, entry: (item: T) => Record<string, unknown>): SmartAnswer {
  const start = params?.['start_index'] ?? 0;
  if (!Number.isSafeInteger(start) || (start as number) < 0) return fail(SIM_CODES.params);
  const from = start as number;
  return ok({ [key]: items.slice(from, from + pageSize).map(entry), start_index: from, sum: items.length });
}
