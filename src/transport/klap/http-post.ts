import type * as http from 'node:http';
import * as https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { KasaError, fromSocketError } from '../../util/errors';
import { HttpConnection, PlainPost, socketClosed } from '../http/http-connection';
import { brokenReplyError, closedError, refusedError, timeoutError, tooLargeError } from '../http/errors';

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body for status 200; empty otherwise (an error page is discarded unread). */
  body: Buffer;
  /** Over HTTPS: the SHA-256 fingerprint of the certificate the device showed. */
  certificateFingerprint?: string;
}

export interface HttpPostOptions extends PlainPost {
  /** Plain HTTP: the transport's kept-alive connection; without one, a connection of its own, closed after the reply. */
  connection?: HttpConnection;
  /** HTTPS instead of HTTP (TPAP's tls mode 1); certificates are checked by the agent's options. */
  https?: boolean;
  /** HTTPS: a keep-alive https.Agent; without one, a connection of its own. */
  agent?: https.Agent;
}

/** A reused HTTPS connection that failed before any byte of the reply: the device had closed it. */
class StaleConnection extends Error {
  constructor(readonly error: KasaError) {
    super(error.message);
  }
}

/**
 * One HTTP POST with the failures a device can cause mapped to KasaErrors: refused, timed out,
 * reset, an oversized reply (refused as soon as it passes the limit, never buffered whole).
 * Plain HTTP goes over our own HttpConnection (Node's http client costs more CPU than a whole KLAP
 * exchange); HTTPS over Node's https.
 */
export function httpPost(options: HttpPostOptions): Promise<HttpReply> {
  if (options.https === true) return httpsPost(options);
  // A kept connection sends a repeatable request again by itself when the device had closed it.
  if (options.connection !== undefined) return options.connection.post(options);
  return postAlone(options);
}

/** A POST on a connection of its own, closed once the reply is read. */
async function postAlone(options: HttpPostOptions): Promise<HttpReply> {
  const own = new HttpConnection(false);
  try {
    return await own.post(options);
  } finally {
    await own.close();
  }
}

function httpsPost(options: HttpPostOptions): Promise<HttpReply> {
  return httpsAttempt(options).catch((err: unknown) => {
    if (!(err instanceof StaleConnection)) throw err;
    // Devices close idle connections whenever they like; a request that only reads is sent again.
    if (options.repeatable) return httpsAttempt(options);
    throw err.error; // the caller knows whether it was a command, and says so
  });
}

function httpsAttempt(options: HttpPostOptions): Promise<HttpReply> {
  const { device } = options;
  if (options.signal?.aborted === true) return Promise.reject(closedError(device));
  const remaining = options.deadline - Date.now();
  if (remaining <= 0) return Promise.reject(timeoutError(device, 'answer', options.budgetMs));

  return new Promise<HttpReply>((resolve, reject) => {
    let settled = false;
    let connectTimer: NodeJS.Timeout | undefined;
    let gotResponse = false;
    const headers: http.OutgoingHttpHeaders = {
      'Content-Type': options.contentType ?? 'application/octet-stream',
      'Content-Length': options.body.length,
    };
    if (options.cookie !== undefined) headers['Cookie'] = options.cookie;

    const req = https.request({
      host: options.host,
      port: options.port,
      path: options.path,
      method: 'POST',
      headers,
      agent: options.agent ?? false,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });

    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(connectTimer);
      outcome();
    };
    const fail = (err: KasaError | StaleConnection): void => {
      finish(() => reject(err));
      req.destroy();
    };

    const timer = setTimeout(() => {
      const connecting = req.socket?.connecting ?? true;
      fail(timeoutError(device, connecting ? 'accept a connection' : 'answer', options.budgetMs));
    }, remaining);

    req.on('socket', (socket) => {
      if (!socket.connecting || options.connectTimeoutMs === undefined || options.connectTimeoutMs >= remaining) return;
      const connectTimeoutMs = options.connectTimeoutMs;
      connectTimer = setTimeout(() => fail(timeoutError(device, 'accept a connection', connectTimeoutMs)), connectTimeoutMs);
      socket.once('connect', () => clearTimeout(connectTimer));
    });

    req.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      if (options.signal?.aborted === true) return fail(closedError(device));
      if (err.code === 'ECONNREFUSED') return fail(refusedError(device, err));
      const mapped = fromSocketError(err, device);
      const stale = req.reusedSocket && !gotResponse && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
      fail(stale ? new StaleConnection(mapped) : mapped);
    });

    req.on('response', (res) => {
      gotResponse = true;
      const status = res.statusCode ?? 0;
      const certificateFingerprint = (res.socket as TLSSocket).getPeerCertificate?.().fingerprint256;
      const tls = certificateFingerprint === undefined ? {} : { certificateFingerprint };
      const broken = (): void => {
        if (options.signal?.aborted === true) return fail(closedError(device));
        fail(brokenReplyError(device));
      };
      res.on('error', broken);
      res.on('close', () => {
        if (!res.complete) broken();
      });
      if (status !== 200) {
        // Only the status matters; drain the error page so the connection can be reused.
        res.resume();
        res.on('end', () => finish(() => resolve({ status, headers: res.headers, body: Buffer.alloc(0), ...tls })));
        return;
      }
      const announced = Number(res.headers['content-length']);
      if (announced > options.maxReplyBytes) return fail(tooLargeError(device, options.maxReplyBytes, announced));
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > options.maxReplyBytes) return fail(tooLargeError(device, options.maxReplyBytes));
        chunks.push(chunk);
      });
      res.on('end', () =>
        finish(() => resolve({ status, headers: res.headers, body: Buffer.concat(chunks, received), ...tls })),
      );
    });

    req.end(options.body);
  });
}

/** Ends a transport's HTTPS connections: destroys the agent and resolves once every socket it held has closed. */
export async function closeAgent(agent: https.Agent): Promise<void> {
  const sockets = [...Object.values(agent.sockets), ...Object.values(agent.freeSockets)].flat().filter((socket) => socket !== undefined);
  // The agent drops a socket from its lists when it emits 'close', so every one listed is still to close.
  const closed = sockets.map(socketClosed);
  agent.destroy();
  await Promise.all(closed);
}
