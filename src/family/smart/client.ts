import { RANGES, checkNumber } from '../../util/bounds';
import { RequestQueue } from '../../util/request-queue';
import { displayText } from '../../util/display-text';
import { ErrorCode, KasaError } from '../../util/errors';
import { isObject } from '../../util/json';
import { ExchangeTrace, reportExchange } from '../../util/trace';
import type { Transport } from '../../transport/transport';
import { isSmartReadOnly } from './commands';
import {
  PreparedSmartRequest,
  SmartReply,
  SmartRequest,
  checkSmartRequest,
  newTerminalUuid,
  parseSmartReply,
  prepareSmartRequest,
  readSmartReply,
  stampSmartRequest,
} from './envelope';
import { smartError, smartErrorClass } from './errors';

export const SMART_DEFAULT_TIMEOUT_MS = 5000;
/** Known clients put at most 5 requests in one multipleRequest; devices may refuse more. */
export const SMART_MAX_BATCH = 5;
/** A paged list is read in at most this many requests: a device announcing more is not believed. */
export const SMART_MAX_PAGES = 50;

export interface SmartClientOptions {
  /** A ready transport: a KlapTransport with family 'smart', or a test double. */
  transport: Transport;
  /** Time allowed for one exchange (ms). */
  timeoutMs?: number;
  /** Requests per multipleRequest, 1 to 5 (default 5); 1 never batches. */
  batchSize?: number;
  /** Most requests one paged list may take (default 50). */
  maxPages?: number;
  /** The terminal_uuid sent with every request; by default 16 random bytes, fixed for this client. */
  terminalUuid?: string;
  /** Called after every exchange, answered or failed (for trace logs); its own errors are ignored. */
  onExchange?: (trace: ExchangeTrace) => void;
}

/** What one request of a callMany came to: its result, or the error the device answered. */
export interface SmartOutcome {
  method: string;
  result?: Record<string, unknown>;
  error?: KasaError;
}

/** One exchange as sent and received, for raw commands and bug reports. */
export interface SmartExchange {
  sent: string;
  received: string;
  reply: SmartReply;
}

/**
 * The SMART dialect over one transport: one queue, so requests reach the device one at a time in
 * order; batches of up to 5 with a fallback to single requests for devices that refuse them;
 * paged lists; commands to a strip's outlets; a new session after the session error codes.
 * A request that may change something is never sent twice.
 */
export class SmartClient {
  readonly address: string;
  readonly timeoutMs: number;
  readonly batchSize: number;
  readonly maxPages: number;
  readonly terminalUuid: string;
  private readonly transport: Transport;
  private readonly onExchange: ((trace: ExchangeTrace) => void) | undefined;
  private readonly queue: RequestQueue;
  private refusedBatches = false;

  constructor(options: SmartClientOptions) {
    this.transport = options.transport;
    this.address = options.transport.address;
    this.queue = new RequestQueue(this.address);
    this.timeoutMs = checkNumber(options.timeoutMs, RANGES.timeoutMs, SMART_DEFAULT_TIMEOUT_MS);
    this.batchSize = checkNumber(options.batchSize, { name: 'Batch size', min: 1, max: SMART_MAX_BATCH, integer: true }, SMART_MAX_BATCH);
    this.maxPages = checkNumber(options.maxPages, { name: 'Most pages', min: 1, max: 1000, integer: true }, SMART_MAX_PAGES);
    this.terminalUuid = options.terminalUuid ?? newTerminalUuid();
    this.onExchange = options.onExchange;
  }

  /** True once the device refused a multipleRequest: every request then goes alone. */
  get batchesRefused(): boolean {
    return this.refusedBatches;
  }

  /** Requests waiting or running. */
  get pending(): number {
    return this.queue.pending;
  }

  /** Runs one method; resolves with its result ({} when the device sent none), or rejects with a KasaError. */
  async call(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const request = checkSmartRequest(params === undefined ? { method } : { method, params });
    const { reply } = await this.exchange(request);
    if (reply.errorCode !== 0) throw smartError(reply.errorCode, method, this.address);
    return reply.result ?? {};
  }

  /**
   * Sends one request and returns what went out and came back, error_code unchecked (raw commands).
   * A session error is handled first: a new session, and for a read one more try.
   */
  exchange(request: SmartRequest): Promise<SmartExchange> {
    // Checked and written here, before it waits in the queue; the time is stamped as it goes out.
    let prepared: PreparedSmartRequest;
    try {
      prepared = prepareSmartRequest(request, this.terminalUuid);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.enqueue(() => this.sendWithSession(prepared));
  }

  /**
   * Runs several methods, in batches of `batchSize`; resolves with one outcome per request, in
   * order. A method the device answered with an error code has `error`; failures of the
   * connection, the session or the credentials reject the whole call.
   */
  callMany(requests: readonly SmartRequest[]): Promise<SmartOutcome[]> {
    let checked: SmartRequest[];
    try {
      checked = requests.map((request) => checkSmartRequest(request));
    } catch (err) {
      return Promise.reject(err);
    }
    // One request, or one batch, as a poll's or a command's nearly always is: no step of its own.
    if (checked.length === 1) return this.runSingly(checked);
    return checked.length > 0 && checked.length <= this.batchSize ? this.runChunk(checked) : this.runChunks(checked);
  }

  private async runChunks(checked: readonly SmartRequest[]): Promise<SmartOutcome[]> {
    const outcomes: SmartOutcome[] = [];
    for (let start = 0; start < checked.length; start += this.batchSize) {
      const chunk = checked.slice(start, start + this.batchSize);
      outcomes.push(...(await this.runChunk(chunk)));
    }
    return outcomes;
  }

  /**
   * Reads a paged list (get_child_device_list and the like): asks again with `start_index` until
   * `sum` entries are read, a page comes back empty, or `maxPages` requests were made.
   */
  async paged(method: string, listKey: string, params: Record<string, unknown> = {}): Promise<unknown[]> {
    return await this.pagedFrom(await this.call(method, Object.keys(params).length === 0 ? undefined : params), method, listKey, params);
  }

  /** The whole list, given its first page (read in a batch with other requests): the rest is asked page by page. */
  async pagedFrom(first: Record<string, unknown>, method: string, listKey: string, params: Record<string, unknown> = {}): Promise<unknown[]> {
    const entries = [...this.pageEntries(first, method, listKey)];
    const sum = first['sum'];
    if (typeof sum !== 'number' || !Number.isSafeInteger(sum) || sum <= entries.length) return entries;
    for (let pages = 1; entries.length < sum; pages++) {
      if (pages >= this.maxPages) {
        throw new KasaError(
          ErrorCode.PROTOCOL,
          `${this.address} announced ${sum} entries of ${displayText(method)} but sent only ${entries.length} in ${pages} pages; the list was not used.`,
          { device: this.address, method },
        );
      }
      const asked = entries.length;
      const result = await this.call(method, { ...params, start_index: asked });
      const page = this.pageEntries(result, method, listKey);
      if (page.length === 0) break;
      // A device that ignores start_index would hand out the first page again and again.
      const start = result['start_index'];
      if (start !== undefined && start !== asked) {
        throw new KasaError(
          ErrorCode.PROTOCOL,
          `${this.address} answered ${displayText(method)} from entry ${displayText(String(start))} when asked from entry ${asked}; the list was not used.`,
          { device: this.address, method },
        );
      }
      entries.push(...page);
    }
    return entries.slice(0, sum);
  }

  /**
   * Runs a method on one child (a strip's outlet) through control_child, and resolves with the
   * child's result from `responseData`.
   */
  async controlChild(childId: string, method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const request = childRequest(childId, params === undefined ? { method } : { method, params });
    const { reply } = await this.exchange(request);
    if (reply.errorCode !== 0) throw smartError(reply.errorCode, `${method} on outlet ${childId}`, this.address);
    return this.childResult(reply.result, request);
  }

  /**
   * The child's own result inside a control_child answer (its `responseData`), for an answer read
   * in a batch; throws the child's refusal.
   */
  childResult(result: Record<string, unknown> | undefined, request: SmartRequest): Record<string, unknown> {
    const params = request.params ?? {};
    const inner = isObject(params['requestData']) ? params['requestData'] : {};
    const what = `${displayText(String(inner['method']))} on outlet ${displayText(String(params['device_id']))}`;
    const answer = readSmartReply(result?.['responseData'], this.address, `an answer to ${what}`);
    if (answer.errorCode !== 0) throw smartError(answer.errorCode, what, this.address);
    return answer.result ?? {};
  }

  /** Ends the connection; requests still waiting fail with CLOSED. */
  async close(): Promise<void> {
    this.queue.close();
    await this.transport.close();
  }

  private pageEntries(result: Record<string, unknown>, method: string, listKey: string): unknown[] {
    const list = result[listKey];
    if (!Array.isArray(list)) {
      throw new KasaError(ErrorCode.PROTOCOL, `${this.address} answered ${displayText(method)} without a ${displayText(listKey)} list.`, {
        device: this.address,
        method,
      });
    }
    return list;
  }

  private async runChunk(chunk: readonly SmartRequest[]): Promise<SmartOutcome[]> {
    if (chunk.length === 1 || this.refusedBatches) return await this.runSingly(chunk);
    const { reply } = await this.exchange({ method: 'multipleRequest', params: { requests: chunk } });
    if (reply.errorCode !== 0) {
      const kind = smartErrorClass(reply.errorCode);
      if (kind === 'auth' || kind === 'session') throw smartError(reply.errorCode, 'multipleRequest', this.address);
      // -1003, unknown method or a code of its own: this device takes one request at a time.
      this.refusedBatches = true;
      return await this.runSingly(chunk);
    }
    const responses = reply.result?.['responses'];
    if (!Array.isArray(responses)) {
      throw new KasaError(ErrorCode.PROTOCOL, `${this.address} answered a batch of requests without a list of responses.`, {
        device: this.address,
        method: 'multipleRequest',
      });
    }
    const outcomes: Array<SmartOutcome | undefined> = chunk.map(() => undefined);
    const looked = Math.min(responses.length, chunk.length * 2);
    for (let at = 0; at < looked; at++) {
      const entry: unknown = responses[at];
      if (!isObject(entry) || typeof entry['method'] !== 'string') continue;
      // Same method twice in a batch: answers are taken in order.
      const index = unansweredIndex(chunk, outcomes, entry['method']);
      if (index < 0) continue;
      const method = chunk[index]!.method;
      let answer: SmartReply;
      try {
        answer = readSmartReply(entry, this.address, () => `an answer to ${displayText(method)}`);
      } catch (err) {
        outcomes[index] = { method, error: err as KasaError };
        continue;
      }
      if (answer.errorCode === 0) outcomes[index] = { method, result: answer.result ?? {} };
      else if (smartErrorClass(answer.errorCode) === 'auth') throw smartError(answer.errorCode, method, this.address);
      else if (smartErrorClass(answer.errorCode) === 'session') {
        // A session error inside a batch: a new session, and a read is asked again alone; a command is not.
        this.transport.newSession?.();
        if (!isSmartReadOnly(chunk[index]!)) outcomes[index] = { method, error: smartError(answer.errorCode, method, this.address) };
      } else outcomes[index] = { method, error: smartError(answer.errorCode, method, this.address) };
    }
    // A batch may stop at its first failing entry: a read without an answer is asked again, alone;
    // a command without one may or may not have run, and is never sent a second time.
    let missing: SmartRequest[] | undefined;
    for (let i = 0; i < chunk.length; i++) {
      if (outcomes[i] !== undefined) continue;
      const request = chunk[i]!;
      if (isSmartReadOnly(request)) (missing ??= []).push(request);
      else outcomes[i] = { method: request.method, error: unanswered(request.method, this.address) };
    }
    if (missing === undefined) return outcomes as SmartOutcome[];
    const again = await this.runSingly(missing);
    return outcomes.map((outcome) => outcome ?? again.shift()!);
  }

  private async runSingly(requests: readonly SmartRequest[]): Promise<SmartOutcome[]> {
    const outcomes: SmartOutcome[] = [];
    for (const request of requests) {
      const { reply } = await this.exchange(request);
      if (reply.errorCode === 0) {
        outcomes.push({ method: request.method, result: reply.result ?? {} });
        continue;
      }
      const error = smartError(reply.errorCode, request.method, this.address);
      const kind = smartErrorClass(reply.errorCode);
      if (kind === 'auth' || kind === 'session') throw error;
      outcomes.push({ method: request.method, error });
    }
    return outcomes;
  }

  /**
   * One request, with the session rules: a session error code makes the transport start a new
   * session; a read is then sent once more, a command is not (it is reported instead).
   */
  private async sendWithSession(prepared: PreparedSmartRequest): Promise<SmartExchange> {
    const readOnly = isSmartReadOnly(prepared.request);
    for (let attempt = 1; ; attempt++) {
      // Stamped with the time it goes out, on each try.
      const started = Date.now();
      const sent = stampSmartRequest(prepared, started);
      let received: string | undefined;
      let reply: SmartReply;
      try {
        received = await this.transport.exchange(sent, this.timeoutMs, readOnly);
        reply = parseSmartReply(received, this.address);
      } catch (err) {
        // The real answer may still be on its way: it must not reach the next request.
        if (received !== undefined) this.transport.dropConnection?.();
        this.traced(sent, received, err, started);
        throw err;
      }
      this.traced(sent, received, undefined, started);
      const { errorCode } = reply;
      if (errorCode === 0 || smartErrorClass(errorCode) !== 'session') return { sent, received, reply };
      this.transport.newSession?.();
      if (!readOnly || attempt > 1) return { sent, received, reply };
    }
  }

  private traced(sent: string, received: string | undefined, err: unknown, started: number): void {
    if (this.onExchange === undefined) return;
    reportExchange(this.onExchange, { device: this.address, sent, received, err, started });
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    return this.queue.run(job);
  }
}

/** A request to one child (a strip's outlet) through control_child, to send alone or in a batch. */
export function childRequest(childId: string, request: SmartRequest): SmartRequest {
  if (typeof childId !== 'string' || childId === '') {
    throw new KasaError(ErrorCode.BAD_INPUT, 'control_child needs the id of the outlet (its device_id).');
  }
  return { method: 'control_child', params: { device_id: childId, requestData: checkSmartRequest(request) } };
}

/** The first request of `method` in the chunk still without an outcome, or -1. */
function unansweredIndex(chunk: readonly SmartRequest[], outcomes: ReadonlyArray<SmartOutcome | undefined>, method: string): number {
  for (let i = 0; i < chunk.length; i++) if (outcomes[i] === undefined && chunk[i]!.method === method) return i;
  return -1;
}

/** A command a batch left unanswered: it may have run, and is not sent again. */
function unanswered(method: string, device: string): KasaError {
  return new KasaError(
    ErrorCode.RESET,
    `${device} answered a batch without an answer to ${displayText(method)}: it may or may not have run, and was not sent again.`,
    { device, method },
  );
}
