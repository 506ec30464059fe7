import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** The connection counts a simulated HTTP device keeps in its stats. */
export interface ConnectionCounts {
  /** TCP connections accepted, and those still open. */
  connections: number;
  openConnections: number;
}

/**
 * The HTTP side of a simulated device (KLAP, AES or TPAP, which may want HTTPS): listening, counting connections, closing
 * them as a device does, and telling when none is left. The protocol is the handler's.
 */
export class HttpListener {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly where: { host?: string; port?: number },
    handler: http.RequestListener,
    counts: ConnectionCounts,
    /** HTTPS with this key and certificate (PEM) instead of HTTP. */
    tls?: { key: string; cert: string },
  ) {
    this.server = tls === undefined ? http.createServer(handler) : https.createServer(tls, handler);
    this.server.on('connection', (socket: Socket) => {
      counts.connections++;
      this.sockets.add(socket);
      counts.openConnections = this.sockets.size;
      socket.on('close', () => {
        this.sockets.delete(socket);
        counts.openConnections = this.sockets.size;
        if (this.sockets.size === 0) this.wakeIdleWaiters();
      });
    });
  }

  /** The port listened on (after start()). */
  get port(): number {
    const address = this.server.address();
    return address !== null && typeof address === 'object' ? (address as AddressInfo).port : 0;
  }

  /** Starts listening (127.0.0.1 and an ephemeral port unless told otherwise); resolves with the port. */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.where.port ?? 0, this.where.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve(this.port);
      });
    });
  }

  /** Stops listening and drops every connection. */
  stop(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  /** Resolves once no client connection is open (e.g. after the client closed its transport). */
  whenNoConnections(): Promise<void> {
    if (this.sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Closes every open connection, as a device does with idle ones; resolves once they are gone. */
  dropConnections(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return this.whenNoConnections();
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * Reads a request's body, keeping at most `maxBytes` of it, and hands it over with the size
 * announced by what arrived (more than `maxBytes`: too large); a broken request is dropped.
 */
export function readRequestBody(req: http.IncomingMessage, res: http.ServerResponse, maxBytes: number, done: (body: Buffer, size: number) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= maxBytes) chunks.push(chunk);
  });
  req.on('error', () => res.destroy());
  req.on('end', () => done(Buffer.concat(chunks, Math.min(size, maxBytes)), size));
}
