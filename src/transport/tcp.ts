import * as net from 'node:net';
import { ErrorCode, KasaError, commandMayHaveRun, fromSocketError } from '../util/errors';
import { DEFAULT_MAX_REPLY_BYTES, FrameReader } from './frame-reader';
import { decodeReplyText } from '../util/json';
import { RequestQueue } from '../util/request-queue';
import { Transport, TransportOptions, formatAddress, formatSeconds } from './transport';
import { decrypt, encodeTcpFrame } from './xor-cipher';
import { DeadlineTimer } from './deadline-timer';

export interface TcpTransportOptions extends TransportOptions {
  /**
   * Keep the connection open between requests (default). Plugs handle a persistent connection well,
   * and a socket per request leaves sockets in TIME_WAIT under polling.
   */
  persistent?: boolean;
  /** Close a persistent connection nobody used for this long (ms). */
  idleTimeoutMs?: number;
}

interface PendingExchange {
  resolve: (text: string) => void;
  reject: (err: KasaError) => void;
  /** Bytes of the reply seen so far; a reused connection that dies before any may be retried. */
  replyBytes: number;
  /** The request's bytes were handed to the system; before that, the device cannot have seen them. */
  written: boolean;
  /** The time it was given, for the timeout's message. */
  timeoutMs: number;
}

const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** The Smart Home protocol over TCP: length-prefixed XOR frames, one exchange at a time. */
export class TcpTransport implements Transport {
  readonly kind = 'tcp';
  readonly address: string;
  private readonly host: string;
  private readonly port: number;
  private readonly persistent: boolean;
  private readonly idleTimeoutMs: number;
  private readonly maxReplyBytes: number;
  private socket: net.Socket | null = null;
  private pending: PendingExchange | null = null;
  private readonly queue: RequestQueue;
  private closed = false;
  /** When the last exchange on the open connection ended (see armIdleCheck). */
  private lastUsedAt = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly deadlines = new DeadlineTimer(() => this.timedOut());

  constructor(options: TcpTransportOptions) {
    this.host = options.host;
    this.port = options.port;
    this.address = formatAddress(options.host, options.port);
    this.queue = new RequestQueue(this.address);
    this.persistent = options.persistent ?? true;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.maxReplyBytes = options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
  }

  /** True while a connection to the device is open. */
  get connected(): boolean {
    return this.socket !== null;
  }

  /**
   * One exchange at a time, even for a caller that does not wait (the client queues already):
   * a second request written before the first is answered would take its reply.
   */
  exchange(json: string, timeoutMs: number, repeatable = false): Promise<string> {
    return this.queue.run(() => this.exchangeNow(json, timeoutMs, repeatable));
  }

  private async exchangeNow(json: string, timeoutMs: number, repeatable: boolean): Promise<string> {
    const frame = encodeTcpFrame(json);
    const reused = this.socket !== null;
    try {
      return await this.attempt(frame, timeoutMs);
    } catch (err) {
      if (!(err instanceof BrokenBeforeReply)) throw this.cutOff(err, repeatable);
      // The device may drop an idle persistent connection at any moment. A read is simply asked
      // again on a fresh one; a command only if it never left, or it could run twice.
      const mayRetry = reused && (repeatable || !err.written);
      if (!mayRetry) throw this.unanswered(err, repeatable);
    }
    try {
      return await this.attempt(frame, timeoutMs);
    } catch (err) {
      throw err instanceof BrokenBeforeReply ? this.unanswered(err, repeatable) : this.cutOff(err, repeatable);
    }
  }

  /** A connection that broke in the middle of the reply to a command: the device got it, and may have run it. */
  private cutOff(err: unknown, repeatable: boolean): unknown {
    return !repeatable && err instanceof KasaError && err.code === ErrorCode.RESET ? commandMayHaveRun(err, this.address) : err;
  }

  /** The error for a request the connection broke under before any reply. */
  private unanswered(broken: BrokenBeforeReply, repeatable: boolean): KasaError {
    if (repeatable || !broken.written) return broken.error;
    return commandMayHaveRun(broken.error, this.address);
  }

  dropConnection(): void {
    if (this.pending === null) this.dropSocket();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.deadlines.clear();
    this.queue.close();
    this.pending?.reject(this.closedError());
    this.pending = null;
    this.dropSocket();
  }

  /**
   * Lets go of a persistent connection nobody used for idleTimeoutMs. One timer per connection,
   * set when an exchange ends and looking again only when it fires: a poll every second costs a
   * time stamp, not a timer restarted at every read and write (socket.setTimeout's way).
   */
  private armIdleCheck(): void {
    this.lastUsedAt = Date.now();
    if (this.idleTimer === null && this.socket !== null) this.idleTimer = this.idleCheckIn(this.idleTimeoutMs);
  }

  private idleCheckIn(ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.idleTimer = null;
      // An exchange under way sets the check again when it ends.
      if (this.socket === null || this.pending !== null) return;
      const idleMs = Date.now() - this.lastUsedAt;
      if (idleMs >= this.idleTimeoutMs) this.dropSocket();
      else this.idleTimer = this.idleCheckIn(this.idleTimeoutMs - idleMs);
    }, ms);
    timer.unref();
    return timer;
  }

  private attempt(frame: Buffer, timeoutMs: number): Promise<string> {
    if (this.closed) return Promise.reject(this.closedError());
    const socket = this.socket ?? this.connect();
    return new Promise<string>((resolve, reject) => {
      this.deadlines.start(Date.now() + timeoutMs);
      const settle = (): void => {
        this.deadlines.stop();
        this.pending = null;
      };
      const fail = (err: KasaError | BrokenBeforeReply): void => {
        settle();
        this.dropSocket();
        reject(err);
      };
      const pending: PendingExchange = {
        replyBytes: 0,
        written: false,
        timeoutMs,
        resolve: (text) => {
          settle();
          if (!this.persistent) this.dropSocket();
          else this.armIdleCheck();
          resolve(text);
        },
        reject: (err) => {
          const unanswered = pending.replyBytes === 0 && err.code === ErrorCode.RESET;
          fail(unanswered ? new BrokenBeforeReply(err, pending.written) : err);
        },
      };
      this.pending = pending;
      if (socket.connecting) {
        // A fresh connection: the request leaves once it is made, if it is; the callback says which.
        socket.write(frame, (err) => {
          if (err === undefined || err === null) pending.written = true;
        });
      } else {
        // An open connection hands the bytes to the system now. A write the system refuses
        // (nothing left) marks the stream errored before write() returns; a callback would cost
        // every request a turn of the event loop for the same answer.
        socket.write(frame);
        pending.written = socket.errored === null && !socket.destroyed;
      }
    });
  }

  /** The request running is past its time: TIMEOUT, and the connection goes (its reply would come late). */
  private timedOut(): void {
    const pending = this.pending;
    if (pending === null) return;
    const what = this.socket?.connecting === true ? 'accept a connection' : 'answer';
    pending.reject(new KasaError(ErrorCode.TIMEOUT, `${this.address} did not ${what} within ${formatSeconds(pending.timeoutMs)}.`, { device: this.address }));
  }

  private connect(): net.Socket {
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    const reader = new FrameReader(this.maxReplyBytes);
    let socketError: NodeJS.ErrnoException | null = null;
    this.socket = socket;

    // A dropped socket still emits data and close: only the current one may touch the exchange.
    socket.on('data', (segment: Buffer) => {
      if (this.socket !== socket) return; // a late reply to a timed-out request
      const pending = this.pending;
      if (pending === null) {
        // Bytes nobody asked for: with no request id in the protocol, the next reply could no
        // longer be told from them. The connection is out of step; the next request opens a new one.
        this.dropSocket();
        return;
      }
      pending.replyBytes += segment.length;
      try {
        const frames = reader.push(segment);
        if (frames.length === 0) return;
        if (frames.length > 1 || reader.pendingBytes > 0) {
          // More than one frame at once (or the start of another): which one answers the request
          // cannot be told, so none is used, and the connection is out of step, as above.
          pending.reject(
            new KasaError(
              ErrorCode.PROTOCOL,
              `${this.address} sent more than one reply at once, so none could be trusted; the command may or may not have run.`,
              { device: this.address },
            ),
          );
          return;
        }
        pending.resolve(decodeReplyText(decrypt(frames[0]!), this.address));
      } catch (err) {
        pending.reject(withDevice(err, this.address));
      }
    });
    // The device closed the connection (idle, or going away): let go of it at its FIN, before the
    // socket's 'close' comes, so a command is never written into it in between (it would fail as
    // RESET "may or may not have run" where a fresh connection gives the true answer).
    socket.on('end', () => {
      if (this.socket === socket && this.pending === null) this.dropSocket();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      socketError = err;
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.stopIdleCheck();
      const pending = this.pending;
      if (pending === null) return;
      pending.reject(
        socketError !== null
          ? fromSocketError(socketError, this.address)
          : new KasaError(
              ErrorCode.RESET,
              reader.pendingBytes > 0
                ? `${this.address} closed the connection in the middle of its reply (${reader.pendingBytes} bytes received).`
                : `${this.address} closed the connection without answering.`,
              { device: this.address },
            ),
      );
    });
    return socket;
  }

  private dropSocket(): void {
    const socket = this.socket;
    this.socket = null;
    this.stopIdleCheck();
    socket?.destroy();
  }

  private stopIdleCheck(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private closedError(): KasaError {
    return new KasaError(ErrorCode.CLOSED, `The connection to ${this.address} was closed.`, { device: this.address });
  }
}

/** The connection broke before any byte of the reply; `written` says whether the request left. */
class BrokenBeforeReply extends Error {
  constructor(
    readonly error: KasaError,
    readonly written: boolean,
  ) {
    super(error.message);
  }
}

function withDevice(err: unknown, device: string): KasaError {
  if (err instanceof KasaError) {
    return err.device !== undefined
      ? err
      : new KasaError(err.code, `${device}: ${err.message}`, { device, cause: err.cause });
  }
  return new KasaError(ErrorCode.PROTOCOL, `${device} sent a reply that could not be read.`, { device, cause: err });
}
