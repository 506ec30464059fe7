import { RANGES, checkNumber } from '../../util/bounds';
import { RequestQueue } from '../../util/request-queue';
import { isReadOnly } from './commands';
import type { Reply, Request } from './message';
import { ErrorCode, KasaError } from '../../util/errors';
import { MAX_JSON_DEPTH, MAX_JSON_VALUES, textNestsDeeperThan, valueWritesMoreThan } from '../../util/json-depth';
import { displayText } from '../../util/display-text';
import { checkAnswers, checkReply } from './reply';
import { hasOwnKey, isObject, parseReplyText } from '../../util/json';
import { createTransport } from '../../transport/factory';
import { ExchangeTrace, reportExchange } from '../../util/trace';
import { Transport, formatAddress } from '../../transport/transport';

export const DEFAULT_PORT = 9999;
export const DEFAULT_TIMEOUT_MS = 5000;

export interface ClientOptions {
  host: string;
  port?: number;
  /** 'tcp' (default), 'udp', or a ready transport (createTransport's, for KLAP and auto; a test double). */
  transport?: 'tcp' | 'udp' | Transport;
  /** Time allowed for one request, connection included (ms). */
  timeoutMs?: number;
  /** Largest reply accepted (bytes). */
  maxReplyBytes?: number;
  /** TCP only: keep the connection open between requests (default true). */
  persistent?: boolean;
  /** Called after every exchange, answered or failed (for trace logs); its own errors are ignored. */
  onExchange?: (trace: ExchangeTrace) => void;
}


export interface RawExchange {
  /** The request exactly as sent. */
  sent: string;
  /** The reply text exactly as received (decrypted). */
  received: string;
  reply: Reply;
}

/**
 * One device, one queue: requests run strictly one at a time in the order they were made,
 * because plugs answer several concurrent connections with resets and timeouts.
 */
export class KasaClient {
  readonly host: string;
  readonly port: number;
  readonly address: string;
  readonly timeoutMs: number;
  private readonly transport: Transport;
  private readonly onExchange: ((trace: ExchangeTrace) => void) | undefined;
  private readonly queue: RequestQueue;

  constructor(options: ClientOptions) {
    if (typeof options.host !== 'string' || options.host.trim() === '') {
      throw new KasaError(ErrorCode.BAD_INPUT, 'No device address given: set the host (name or IP address) of the plug.');
    }
    this.host = options.host.trim();
    this.port = checkNumber(options.port, RANGES.port, DEFAULT_PORT);
    this.timeoutMs = checkNumber(options.timeoutMs, RANGES.timeoutMs, DEFAULT_TIMEOUT_MS);
    this.address = formatAddress(this.host, this.port);
    this.queue = new RequestQueue(this.address);
    this.onExchange = options.onExchange;
    const transport = options.transport ?? 'tcp';
    this.transport =
      typeof transport === 'string'
        ? createTransport({
            transport,
            host: this.host,
            port: this.port,
            ...(options.maxReplyBytes === undefined ? {} : { maxReplyBytes: options.maxReplyBytes }),
            ...(options.persistent === undefined ? {} : { persistent: options.persistent }),
          })
        : transport;
  }

  get transportKind(): Transport['kind'] {
    return this.transport.kind;
  }

  /** Requests waiting or running. */
  get pending(): number {
    return this.queue.pending;
  }

  /** Sends a request and returns the reply; a non-zero err_code anywhere in it is thrown as a KasaError. */
  async send(request: Request | string, timeoutMs?: number): Promise<Reply> {
    const { reply } = await this.exchange(request, timeoutMs);
    checkReply(reply, this.address);
    return reply;
  }

  /**
   * Sends a request and returns what went out and came back, err_codes included, unchecked.
   * A reply that does not mirror the request's modules is not its answer: PROTOCOL.
   */
  exchange(request: Request | string, timeoutMs = this.timeoutMs): Promise<RawExchange> {
    let prepared: PreparedRequest;
    try {
      if (timeoutMs !== this.timeoutMs) checkNumber(timeoutMs, RANGES.timeoutMs);
      prepared = prepareRequest(request);
    } catch (err) {
      return Promise.reject(err);
    }
    const { sent, value } = prepared;
    return this.enqueue(async () => {
      const started = Date.now();
      let received: string | undefined;
      try {
        received = await this.transport.exchange(sent, timeoutMs, isReadOnly(value));
        const reply = parseReplyText(received, this.address);
        checkAnswers(value, reply, this.address);
        this.traced(sent, received, undefined, started);
        return { sent, received, reply };
      } catch (err) {
        // The real answer may still be on its way: it must not reach the next request.
        if (received !== undefined) this.transport.dropConnection?.();
        this.traced(sent, received, err, started);
        throw err;
      }
    });
  }

  private traced(sent: string, received: string | undefined, err: unknown, started: number): void {
    reportExchange(this.onExchange, { device: this.address, sent, received, err, started });
  }

  /** Ends the connection; requests still waiting fail with CLOSED. */
  async close(): Promise<void> {
    this.queue.close();
    await this.transport.close();
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    return this.queue.run(job);
  }
}

interface PreparedRequest {
  /** The compact JSON sent. */
  sent: string;
  value: Request;
}

/** Compact JSON of a request object; a string must already be a JSON object. */
export function serialiseRequest(request: Request | string): string {
  return prepareRequest(request).sent;
}

/** Checks a request (an object, or JSON text of one) and serialises it; BAD_INPUT for anything unusable. */
function prepareRequest(request: Request | string): PreparedRequest {
  let value: unknown = request;
  if (typeof request === 'string') {
    try {
      value = JSON.parse(request);
    } catch {
      throw new KasaError(ErrorCode.BAD_INPUT, `The command is not valid JSON: ${displayText(request, 80)}`);
    }
  }
  if (!isObject(value) || !hasOwnKey(value)) {
    throw new KasaError(ErrorCode.BAD_INPUT, 'A command must be a JSON object such as {"system":{"get_sysinfo":{}}}.');
  }
  if (valueWritesMoreThan(value)) {
    throw new KasaError(ErrorCode.BAD_INPUT, `The command cannot be written as JSON: it is circular or holds more than ${MAX_JSON_VALUES.toLocaleString('en-US')} values.`);
  }
  let sent: string;
  try {
    sent = JSON.stringify(value);
  } catch (cause) {
    // A cycle, a BigInt, a toJSON that throws: nothing a device could read.
    const reason = cause instanceof Error ? displayText(cause.message.split('\n')[0]!, 100) : 'not serialisable';
    throw new KasaError(ErrorCode.BAD_INPUT, `The command cannot be written as JSON (${reason}).`, { cause });
  }
  if (textNestsDeeperThan(sent)) {
    throw new KasaError(ErrorCode.BAD_INPUT, `The command is nested more than ${MAX_JSON_DEPTH} levels deep.`);
  }
  return { sent, value };
}
