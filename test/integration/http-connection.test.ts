import assert from 'node:assert/strict';
import * as diagnostics from 'node:diagnostics_channel';
import * as net from 'node:net';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/util/errors';
import { isKasaError } from '../support/errors';
import { HttpConnection } from '../../src/transport/http/http-connection';
import { HttpPostOptions, httpPost } from '../../src/transport/klap/http-post';
import { KlapServer } from '../../src/simulator/klap-server';
import { openResources, resourcesBackTo, within } from '../support/wait';

const TIMEOUT_MS = 3000;

interface Received {
  head: string;
  body: Buffer;
  /** Requests seen on this connection before this one. */
  before: number;
}

/**
 * A device on 127.0.0.1 whose HTTP answers are written byte for byte by the test: `answer` gets the
 * socket and each request read whole (head and Content-Length body), and writes what it likes.
 */
async function scriptedDevice(answer: (socket: net.Socket, request: Received, total: number) => void) {
  const sockets = new Set<net.Socket>();
  const stats = { connections: 0, requests: 0 };
  const closed: Array<Promise<void>> = [];
  const server = net.createServer((socket) => {
    stats.connections++;
    sockets.add(socket);
    closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    let before = 0;
    socket.on('data', (data: Buffer) => {
      buffered = Buffer.concat([buffered, data]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.toString('latin1', 0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const body = buffered.subarray(end + 4, end + 4 + length);
        buffered = buffered.subarray(end + 4 + length);
        stats.requests++;
        answer(socket, { head, body, before: before++ }, stats.requests);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    stats,
    /** Resolves when the n-th connection accepted (from 1) has closed on both sides. */
    closedConnection: (n: number) => closed[n - 1]!,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const ok = (body: string, extra = ''): string => `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

function options(port: number, connection: HttpConnection | undefined, more: Partial<HttpPostOptions> = {}): HttpPostOptions {
  return {
    host: '127.0.0.1',
    port,
    path: '/app/request',
    body: Buffer.from('{"n":1}'),
    ...(connection === undefined ? {} : { connection }),
    device: `127.0.0.1:${port}`,
    deadline: Date.now() + TIMEOUT_MS,
    budgetMs: TIMEOUT_MS,
    maxReplyBytes: 1 << 16,
    repeatable: false,
    ...more,
  };
}

/** Runs `body` with a scripted device and a connection to it; closes both and checks nothing is left open. */
async function withScripted(
  answer: Parameters<typeof scriptedDevice>[0],
  body: (connection: HttpConnection, device: Awaited<ReturnType<typeof scriptedDevice>>) => Promise<void>,
): Promise<void> {
  const baseline = openResources();
  const device = await scriptedDevice(answer);
  const connection = new HttpConnection();
  try {
    await body(connection, device);
  } finally {
    await connection.close();
    await device.stop();
  }
  await resourcesBackTo(baseline);
}

describe('HttpConnection against a scripted device', () => {
  it('sends a well-formed POST and keeps one connection for several requests, whatever the reply framing', async () => {
    const replies = [ok('first'), 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nsec\r\n3\r\nond\r\n0\r\nX-T: 1\r\n\r\n', 'HTTP/1.1 100 Continue\r\n\r\n' + ok('third')];
    const heads: string[] = [];
    await withScripted(
      (socket, request, n) => {
        heads.push(request.head);
        // Cut into single bytes, each written on its own: the parser must join them.
        const bytes = Buffer.from(replies[n - 1]!, 'latin1');
        for (const byte of bytes) socket.write(Buffer.from([byte]));
      },
      async (connection, device) => {
        for (const expected of ['first', 'second', 'third']) {
          const reply = await httpPost(options(device.port, connection, { cookie: 'TP_SESSIONID=abc' }));
          assert.equal(reply.status, 200);
          assert.equal(reply.body.toString(), expected);
        }
        assert.equal(device.stats.connections, 1);
        assert.match(heads[0]!, /^POST \/app\/request HTTP\/1\.1\r\n/);
        assert.match(heads[0]!, new RegExp(`\r\nHost: 127\\.0\\.0\\.1:${device.port}\r\n`));
        assert.match(heads[0]!, /\r\nContent-Length: 7\r\n/);
        assert.match(heads[0]!, /\r\nCookie: TP_SESSIONID=abc\r\n/);
        assert.match(heads[0]!, /\r\nConnection: keep-alive$/);
      },
    );
  });

  it('reads a body delimited by the end of the connection, and opens a new one for the next request', async () => {
    await withScripted(
      (socket) => socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the end'),
      async (connection, device) => {
        assert.equal((await httpPost(options(device.port, connection))).body.toString(), 'until the end');
        assert.equal((await httpPost(options(device.port, connection))).body.toString(), 'until the end');
        assert.equal(device.stats.connections, 2);
      },
    );
  });

  it('closes after a reply that says Connection: close', async () => {
    await withScripted(
      (socket) => socket.write(ok('bye', 'Connection: close\r\n')),
      async (connection, device) => {
        await httpPost(options(device.port, connection));
        await within(device.closedConnection(1), 2000, 'the client to close the connection');
        await httpPost(options(device.port, connection));
        assert.equal(device.stats.connections, 2);
      },
    );
  });

  it("honours the server's Keep-Alive timeout, a second short: timeout=1 is no reuse, timeout=5 is", async () => {
    for (const [seconds, connections] of [[1, 3], [5, 1]] as const) {
      await withScripted(
        (socket) => socket.write(ok('hint', `Keep-Alive: timeout=${seconds}\r\n`)),
        async (connection, device) => {
          for (let i = 0; i < 3; i++) await httpPost(options(device.port, connection));
          assert.equal(device.stats.connections, connections, `timeout=${seconds}`);
        },
      );
    }
  });

  it('opens a fresh connection when the device closed the idle one, even for a command', async () => {
    await withScripted(
      (socket) => socket.end(ok('then FIN')),
      async (connection, device) => {
        await httpPost(options(device.port, connection));
        // Both sides closed: the client saw the FIN before the next request.
        await within(device.closedConnection(1), 2000, 'the idle connection to close');
        assert.equal((await httpPost(options(device.port, connection, { repeatable: false }))).body.toString(), 'then FIN');
        assert.equal(device.stats.requests, 2, 'nothing was written into the closed connection');
      },
    );
  });

  for (const repeatable of [false, true]) {
    it(`a reused connection reset before any byte of the reply: ${repeatable ? 'a read is sent again on a new one' : 'a command is not sent again'}`, async () => {
      await withScripted(
        (socket, request) => (request.before === 1 ? socket.resetAndDestroy() : socket.write(ok('fine'))),
        async (connection, device) => {
          await httpPost(options(device.port, connection));
          const second = httpPost(options(device.port, connection, { repeatable }));
          if (repeatable) {
            assert.equal((await second).body.toString(), 'fine');
            assert.equal(device.stats.requests, 3);
          } else {
            await assert.rejects(second, isKasaError(ErrorCode.RESET, /before the reply was complete/));
            assert.equal(device.stats.requests, 2, 'the command went out once');
          }
        },
      );
    });
  }

  it('a reply cut short is RESET "in the middle of its reply", never sent again, even for a read', async () => {
    await withScripted(
      (socket, request) => (request.before === 1 ? socket.end('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\npart') : socket.write(ok('fine'))),
      async (connection, device) => {
        await httpPost(options(device.port, connection));
        await assert.rejects(httpPost(options(device.port, connection, { repeatable: true })), isKasaError(ErrorCode.RESET, /in the middle of its reply/));
        assert.equal(device.stats.requests, 2);
      },
    );
  });

  it('drops the connection when bytes come that nobody asked for, after a reply or while idle', async () => {
    await withScripted(
      (socket, _request, n) => {
        if (n === 1) socket.write(ok('one') + 'HTTP/1.1 200 OK\r\n');
        else if (n === 2) {
          socket.write(ok('two'));
          setTimeout(() => socket.write('stray'), 20);
        } else socket.write(ok('three'));
      },
      async (connection, device) => {
        assert.equal((await httpPost(options(device.port, connection))).body.toString(), 'one');
        await within(device.closedConnection(1), 2000, 'the first connection to be dropped');
        assert.equal((await httpPost(options(device.port, connection))).body.toString(), 'two');
        await within(device.closedConnection(2), 2000, 'the second connection to be dropped');
        assert.equal((await httpPost(options(device.port, connection))).body.toString(), 'three');
        assert.equal(device.stats.connections, 3);
      },
    );
  });

  it('drains and discards an error page, keeping the connection; one too long to drain ends it', async () => {
    await withScripted(
      (socket, _request, n) => {
        if (n === 1) socket.write('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 9\r\n\r\nit failed');
        else if (n === 2) socket.write(`HTTP/1.1 404 Not Found\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(1000)}`);
        else socket.write(ok('fine'));
      },
      async (connection, device) => {
        const failed = await httpPost(options(device.port, connection));
        assert.equal(failed.status, 500);
        assert.equal(failed.body.length, 0);
        const missing = await httpPost(options(device.port, connection));
        assert.equal(missing.status, 404);
        assert.equal(device.stats.connections, 1);
        assert.equal((await httpPost(options(device.port, connection))).body.toString(), 'fine');
        assert.equal(device.stats.connections, 2);
      },
    );
  });

  it('a malformed reply is PROTOCOL in plain words; the connection goes and the next request works', async () => {
    await withScripted(
      (socket, _request, n) => socket.write(n === 1 ? 'HTTP/1.1 2OO OK\r\n\r\n' : n === 2 ? `HTTP/1.1 200 OK\r\nX: ${'y'.repeat(20_000)}` : ok('fine')),
      async (connection, device) => {
        await assert.rejects(httpPost(options(device.port, connection)), isKasaError(ErrorCode.PROTOCOL, /malformed HTTP reply: the status line/));
        await assert.rejects(httpPost(options(device.port, connection)), isKasaError(ErrorCode.PROTOCOL, /16384 bytes/));
        assert.equal((await httpPost(options(device.port, connection))).body.toString(), 'fine');
        assert.equal(device.stats.connections, 3);
      },
    );
  });

  it('refuses a chunked body past maxReplyBytes as TOO_LARGE, and a header value that would break its line', async () => {
    await withScripted(
      (socket) => socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4000\r\n'),
      async (connection, device) => {
        await assert.rejects(httpPost(options(device.port, connection, { maxReplyBytes: 1000 })), isKasaError(ErrorCode.TOO_LARGE, /maximum of 1000 bytes/));
        await assert.rejects(httpPost(options(device.port, connection, { cookie: 'a\r\nX-Injected: 1' })), isKasaError(ErrorCode.BAD_INPUT));
        assert.equal(device.stats.requests, 1, 'nothing sent for the bad header');
      },
    );
  });

  it('a silent device: TIMEOUT "answer"; close() during a request: CLOSED, close() resolves, nothing left open', async () => {
    await withScripted(
      () => undefined,
      async (connection, device) => {
        await assert.rejects(httpPost(options(device.port, connection, { deadline: Date.now() + 100, budgetMs: 100 })), isKasaError(ErrorCode.TIMEOUT, /did not answer within/));
        const pending = httpPost(options(device.port, connection));
        await new Promise((resolve) => setTimeout(resolve, 20)); // the request is on its way
        await Promise.all([assert.rejects(pending, isKasaError(ErrorCode.CLOSED)), connection.close()]);
        await assert.rejects(httpPost(options(device.port, connection)), isKasaError(ErrorCode.CLOSED), 'a closed connection stays closed');
      },
    );
  });

  it('a connection of its own (no connection given) says Connection: close and is closed when the reply is in', async () => {
    const opened: net.Socket[] = [];
    const onSocket = (message: unknown): void => void opened.push((message as { socket: net.Socket }).socket);
    diagnostics.subscribe('net.client.socket', onSocket);
    try {
      await withScripted(
        (socket, request) => socket.write(ok(/Connection: close/.test(request.head) ? 'closing' : 'kept')),
        async (_connection, device) => {
          assert.equal((await httpPost(options(device.port, undefined))).body.toString(), 'closing');
          assert.equal(opened.length, 1);
          assert.equal(opened[0]!.destroyed, true);
        },
      );
    } finally {
      diagnostics.unsubscribe('net.client.socket', onSocket);
    }
  });

  it('against the KLAP simulator: reused across requests, a refused port is REFUSED with the port hint', async () => {
    const server = new KlapServer({ handle: (json) => json, version: 2, bound: false });
    const port = await server.start();
    const connection = new HttpConnection();
    try {
      for (let i = 0; i < 3; i++) assert.equal((await httpPost(options(port, connection, { path: '/app/handshake1', body: Buffer.alloc(16, i) }))).status, 200);
      assert.equal(server.stats.connections, 1);
    } finally {
      await connection.close();
      await server.stop();
    }
    await assert.rejects(httpPost(options(port, undefined)), isKasaError(ErrorCode.REFUSED, /listen on port 80/));
  });
});
