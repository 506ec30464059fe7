import * as net from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { ErrorCode, KasaError, fromSocketError } from '../../util/errors';
import { brokenReplyError, closedError, refusedError, timeoutError } from './errors';
import { ResponseHead, ResponseParser, ResponseSink } from './response-parser';
import { DeadlineTimer } from '../deadline-timer';

/** One POST and its limits, as the connection sends it. */
export interface PlainPost {
  host: string;
  port: number;
  path: string;
  body: Buffer;
  /** Cookie header value, if any. */
  cookie?: string;
  /** Content-Type of the body; default application/octet-stream (KLAP). AES sends application/json. */
  contentType?: string;
  /** host:port, for messages. */
  device: string;
  /** Absolute time (Date.now()) by which the reply must be complete. */
  deadline: number;
  /** The whole time allowed, quoted in the timeout message. */
  budgetMs: number;
  /** Time allowed to open a connection, if shorter than what is left before the deadline. */
  connectTimeoutMs?: number;
  maxReplyBytes: number;
  /** Aborting it fails the request with CLOSED. */
  signal?: AbortSignal;
  /**
   * The request may be sent again when a kept connection turns out to have been closed by the
   * device: a handshake or a read. A command is not, since the device may have run it before closing.
   */
  repeatable: boolean;
}

export interface PlainReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Header values a request carries must stay on their line. */
const UNSAFE_IN_HEADER = /[^\t\x20-\x7e]/;

/**
 * One request on the connection, from its write to its reply or its failure, and the sink of its
 * reply's parser: one object per request, where closures would be several.
 */
class Exchange implements ResponseSink {
  readonly parser: ResponseParser;
  readonly chunks: Buffer[] = [];
  received = 0;
  connectTimer: NodeJS.Timeout | undefined;
  /** Set only for a post with an abort signal. */
  onAbort: (() => void) | undefined;

  constructor(
    readonly post: PlainPost,
    readonly socket: net.Socket,
    /** Sent on a kept connection, which the device may have closed meanwhile. */
    readonly reused: boolean,
    readonly resolve: (reply: PlainReply) => void,
    readonly reject: (error: KasaError) => void,
  ) {
    this.parser = new ResponseParser(post.device, this);
  }

  /** An error page is drained unread up to the same size; a longer one ends the connection. */
  onHead(): number {
    return this.post.maxReplyBytes;
  }

  onBody(piece: Buffer): void {
    if (this.parser.head?.status !== 200) return; // an error page: only its status matters
    this.chunks.push(piece);
    this.received += piece.length;
  }
}

/** A reply whose headers become an object only if read: a request on a kept session reads none. */
class Reply implements PlainReply {
  constructor(
    private readonly head: ResponseHead,
    readonly body: Buffer,
  ) {}

  get status(): number {
    return this.head.status;
  }

  get headers(): IncomingHttpHeaders {
    return this.head.headers;
  }
}

/**
 * HTTP/1.1 on one TCP connection of its own, one request at a time: what a device transport needs
 * from an HTTP client and nothing more. The connection is kept between requests (keepAlive) unless
 * the device closes it or says it will; a new one is opened when there is none, when the device
 * closed the idle one, or when the request goes elsewhere. Every failure is a KasaError, and
 * close() ends the request running and resolves once every socket it opened has closed.
 */
export class HttpConnection {
  #socket: net.Socket | undefined;
  /** Where the kept socket goes. */
  #host = '';
  #port = 0;
  #pending: Exchange | undefined;
  #closed = false;
  /** Time (Date.now()) after which the idle connection is not reused: the server's Keep-Alive timeout, less a second. */
  #reuseUntil = Number.POSITIVE_INFINITY;
  /** Sockets not yet closed, for close() to wait on. */
  readonly #open = new Set<net.Socket>();
  readonly #deadlines = new DeadlineTimer(() => this.#timedOut());

  /** keepAlive false: each request on a connection of its own, closed after the reply. */
  constructor(private readonly keepAlive = true) {}

  post(post: PlainPost): Promise<PlainReply> {
    const refusal = this.#refusal(post);
    if (refusal !== undefined) return Promise.reject(refusal);
    return new Promise<PlainReply>((resolve, reject) => this.#send(post, resolve, reject));
  }

  /** Why the post cannot be sent now, if it cannot. */
  #refusal(post: PlainPost): KasaError | undefined {
    const { device } = post;
    if (this.#closed || post.signal?.aborted === true) return closedError(device);
    if (post.deadline <= Date.now()) return timeoutError(device, 'answer', post.budgetMs);
    if (this.#pending !== undefined) return new KasaError(ErrorCode.INTERNAL, `A request to ${device} is already running on this connection.`, { device });
    if (UNSAFE_IN_HEADER.test(post.path) || (post.cookie !== undefined && UNSAFE_IN_HEADER.test(post.cookie)) || (post.contentType !== undefined && UNSAFE_IN_HEADER.test(post.contentType))) {
      return new KasaError(ErrorCode.BAD_INPUT, `A request to ${device} would carry a header value with a line break or control character.`, { device });
    }
    return undefined;
  }

  /** Writes the request on the kept connection, or on a new one when it cannot be reused. */
  #send(post: PlainPost, resolve: (reply: PlainReply) => void, reject: (error: KasaError) => void): void {
    const { device } = post;
    const now = Date.now();
    const remaining = post.deadline - now;
    let socket = this.#socket;
    if (socket !== undefined && (post.host !== this.#host || post.port !== this.#port || socket.destroyed || socket.readableEnded || !socket.writable || now >= this.#reuseUntil)) {
      this.#drop(socket);
      socket = undefined;
    }
    const reused = socket !== undefined;
    const live = socket ?? this.#connect(post.host, post.port);
    const exchange = new Exchange(post, live, reused, resolve, reject);
    this.#pending = exchange;
    this.#deadlines.start(post.deadline);
    if (live.connecting && post.connectTimeoutMs !== undefined && post.connectTimeoutMs < remaining) {
      const connectTimeoutMs = post.connectTimeoutMs;
      exchange.connectTimer = setTimeout(() => this.#fail(exchange, timeoutError(device, 'accept a connection', connectTimeoutMs)), connectTimeoutMs);
      live.once('connect', () => clearTimeout(exchange.connectTimer));
    }
    if (post.signal !== undefined) {
      exchange.onAbort = () => this.#fail(exchange, closedError(device));
      post.signal.addEventListener('abort', exchange.onAbort, { once: true });
    }
    live.write(this.#request(post));
  }

  /** The request is over, answered or not: its timers and abort listener go. */
  #finish(exchange: Exchange): void {
    this.#pending = undefined;
    this.#deadlines.stop();
    clearTimeout(exchange.connectTimer);
    if (exchange.onAbort !== undefined) exchange.post.signal?.removeEventListener('abort', exchange.onAbort);
  }

  /** The request running is past its deadline: TIMEOUT, and the connection goes (its reply would come late). */
  #timedOut(): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    const { post, socket } = pending;
    this.#fail(pending, timeoutError(post.device, socket.connecting ? 'accept a connection' : 'answer', post.budgetMs));
  }

  #fail(exchange: Exchange, error: KasaError): void {
    if (this.#pending !== exchange) return;
    this.#finish(exchange);
    this.#drop(exchange.socket);
    exchange.reject(error);
  }

  /**
   * A kept connection failed before any byte of the reply: the device had closed it meanwhile, as
   * devices do whenever they like. A request that may be repeated goes again on a new connection;
   * the error of one that may not says that a command may have run.
   */
  #stale(exchange: Exchange, error: KasaError): void {
    if (!exchange.post.repeatable) return this.#fail(exchange, error);
    if (this.#pending !== exchange) return;
    this.#finish(exchange);
    this.#drop(exchange.socket);
    const refusal = this.#refusal(exchange.post);
    if (refusal !== undefined) return exchange.reject(refusal);
    this.#send(exchange.post, exchange.resolve, exchange.reject);
  }

  #settle(exchange: Exchange): void {
    if (this.#pending !== exchange) return;
    this.#finish(exchange);
    const head = exchange.parser.head as ResponseHead;
    const chunks = exchange.chunks;
    const body = head.status !== 200 ? Buffer.alloc(0) : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, exchange.received);
    if (!head.keepAlive || !this.keepAlive) this.#drop(exchange.socket);
    else this.#reuseUntil = reuseUntil(head.field('keep-alive'));
    exchange.resolve(new Reply(head, body));
  }

  /** Ends the request running (CLOSED), closes the connection; resolves once every socket has closed. Never rejects. */
  close(): Promise<void> {
    this.#closed = true;
    this.#deadlines.clear();
    const pending = this.#pending;
    if (pending !== undefined) this.#fail(pending, closedError(pending.post.device));
    if (this.#socket !== undefined) this.#drop(this.#socket);
    return Promise.all([...this.#open].map(socketClosed)).then(() => undefined);
  }

  #request(post: PlainPost): Buffer {
    const host = post.host.includes(':') ? `[${post.host}]` : post.host;
    const head =
      `POST ${post.path} HTTP/1.1\r\n` +
      `Host: ${post.port === 80 ? host : `${host}:${post.port}`}\r\n` +
      `Content-Type: ${post.contentType ?? 'application/octet-stream'}\r\n` +
      // Always explicit: AES firmware answers 500 to a chunked body.
      `Content-Length: ${post.body.length}\r\n` +
      (post.cookie === undefined ? '' : `Cookie: ${post.cookie}\r\n`) +
      `Connection: ${this.keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`;
    const headBytes = Buffer.byteLength(head, 'latin1');
    const bytes = Buffer.allocUnsafe(headBytes + post.body.length);
    bytes.write(head, 0, 'latin1');
    post.body.copy(bytes, headBytes);
    return bytes;
  }

  #connect(host: string, port: number): net.Socket {
    const socket = net.connect({ host, port, noDelay: true });
    this.#socket = socket;
    this.#host = host;
    this.#port = port;
    this.#open.add(socket);
    socket.setKeepAlive(true, 1000);
    // An idle connection does not keep the process alive; a request does, by the deadline timer it runs under.
    socket.unref();
    socket.on('data', (data: Buffer) => this.#onData(socket, data));
    socket.on('end', () => this.#onEnd(socket));
    socket.on('error', (err: NodeJS.ErrnoException) => this.#onError(socket, err));
    socket.on('close', () => {
      this.#open.delete(socket);
      this.#onEnd(socket);
    });
    return socket;
  }

  /** The request running on this socket, if any. */
  #pendingOn(socket: net.Socket): Exchange | undefined {
    return this.#socket === socket ? this.#pending : undefined;
  }

  #onData(socket: net.Socket, data: Buffer): void {
    const pending = this.#pendingOn(socket);
    // Bytes nobody asked for: whatever the device meant, they would shift the next reply.
    if (pending === undefined) return this.#drop(socket);
    let extra: number;
    try {
      extra = pending.parser.push(data);
    } catch (err) {
      const head = pending.parser.head;
      // An error page too long to drain: its status is all that counts; the connection goes.
      if (err instanceof KasaError && err.code === ErrorCode.TOO_LARGE && head !== undefined && head.status !== 200) {
        this.#drop(socket);
        head.keepAlive = false;
        return this.#settle(pending);
      }
      return this.#fail(pending, err as KasaError);
    }
    if (!pending.parser.complete) return;
    if (extra > 0) pending.parser.head!.keepAlive = false;
    this.#settle(pending);
  }

  /** The device ended the connection (FIN or close): completes a reply that runs to the end, or fails it. */
  #onEnd(socket: net.Socket): void {
    const pending = this.#pendingOn(socket);
    if (pending === undefined) {
      if (this.#socket === socket) this.#drop(socket);
      return;
    }
    if (pending.parser.end()) return this.#settle(pending);
    const { device } = pending.post;
    if (pending.post.signal?.aborted === true) return this.#fail(pending, closedError(device));
    if (pending.parser.started) return this.#fail(pending, brokenReplyError(device));
    const error = fromSocketError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), device);
    if (pending.reused) return this.#stale(pending, error);
    this.#fail(pending, error);
  }

  #onError(socket: net.Socket, err: NodeJS.ErrnoException): void {
    const pending = this.#pendingOn(socket);
    if (pending === undefined) return this.#drop(socket);
    const { device } = pending.post;
    if (pending.post.signal?.aborted === true) return this.#fail(pending, closedError(device));
    if (err.code === 'ECONNREFUSED') return this.#fail(pending, refusedError(device, err));
    if (pending.parser.started) return this.#fail(pending, brokenReplyError(device));
    const mapped = fromSocketError(err, device);
    if (pending.reused && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) return this.#stale(pending, mapped);
    this.#fail(pending, mapped);
  }

  /** Destroys a socket and forgets it; close() still waits for its 'close'. */
  #drop(socket: net.Socket): void {
    if (this.#socket === socket) this.#socket = undefined;
    socket.destroy();
  }
}

/**
 * Until when an idle connection may be reused, from a `Keep-Alive: timeout=N` the server sent: a
 * second short of its N, so a request never crosses the server closing it (an error a command could
 * not be sent again after).
 */
function reuseUntil(hint: string | undefined): number {
  const seconds = hint === undefined ? undefined : keepAliveSeconds(hint);
  return seconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + seconds * 1000 - 1000;
}

/**
 * The N of the first `timeout=N` parameter of a Keep-Alive header (at its start or after a comma or
 * a space, in any case), or undefined. Read by hand, not by a pattern: most devices send the
 * header with every reply.
 */
export function keepAliveSeconds(header: string): number | undefined {
  const text = header.toLowerCase();
  for (let at = text.indexOf(TIMEOUT_PARAMETER); at !== -1; at = text.indexOf(TIMEOUT_PARAMETER, at + 1)) {
    if (at > 0 && !PARAMETER_SEPARATOR.test(text[at - 1]!)) continue;
    const from = at + TIMEOUT_PARAMETER.length;
    let end = from;
    while (end < text.length && text.charCodeAt(end) >= 0x30 && text.charCodeAt(end) <= 0x39) end++;
    if (end > from) return Number(text.slice(from, end));
  }
  return undefined;
}

const TIMEOUT_PARAMETER = 'timeout=';
const PARAMETER_SEPARATOR = /[,\s]/;

/**
 * Resolves when the socket has closed, whatever it emits before: an exchange aborted mid-request
 * makes its socket emit the AbortError first, and that is the ending asked for, not a failure.
 */
export function socketClosed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.on('error', () => undefined);
    socket.once('close', () => resolve());
  });
}
