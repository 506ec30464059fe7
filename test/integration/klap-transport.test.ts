import assert from 'node:assert/strict';
import * as diagnostics from 'node:diagnostics_channel';
import * as http from 'node:http';
import * as net from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { inspect } from 'node:util';
import { ErrorCode, KasaError } from '../../src/util/errors';
import { KlapTransport, KlapTransportOptions, probeKlap } from '../../src/transport/klap';
import { KlapServer, KlapServerOptions } from '../../src/simulator/klap-server';
import { createTransport } from '../../src/transport/factory';
import { waitFor } from '../support/wait';

const OWNER = { username: 'owner@example.com', password: 'correct horse battery' };
const TIMEOUT_MS = 3000;

/** A tiny device: echoes the request back inside a reply object. */
function echo(json: string): string {
  return JSON.stringify({ echo: JSON.parse(json) as unknown, err_code: 0 });
}

function request(n: number): string {
  return JSON.stringify({ system: { get_sysinfo: { n } } });
}

function echoed(n: number): string {
  return JSON.stringify({ echo: { system: { get_sysinfo: { n } } }, err_code: 0 });
}

/** Runs `body` against a started KlapServer and a transport to it; closes both whatever happens. */
async function withDevice(
  serverOptions: Partial<KlapServerOptions> & Pick<KlapServerOptions, 'version' | 'bound'>,
  transportOptions: Omit<KlapTransportOptions, 'host' | 'port'>,
  body: (transport: KlapTransport, server: KlapServer) => Promise<void>,
): Promise<void> {
  const server = new KlapServer({ handle: echo, ...serverOptions });
  const port = await server.start();
  const transport = new KlapTransport({ host: '127.0.0.1', port, ...transportOptions });
  try {
    await body(transport, server);
  } finally {
    await transport.close();
    await server.stop();
  }
}

function isKasaError(code: ErrorCode, pattern?: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof KasaError, `expected a KasaError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (pattern !== undefined) assert.match(err.message, pattern);
    return true;
  };
}

/** A TCP server that accepts connections and never answers. */
async function silentServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** A plain HTTP server answering every request with the given status and body. */
async function plainHttpServer(status: number, body: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(status, { 'Content-Type': 'text/plain' }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port on which nothing listens (just freed by a server of our own). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

void describe('KlapTransport against the KLAP simulator', () => {
  for (const version of [1, 2] as const) {
    void it(`speaks v${version} with the user's credentials over one keep-alive connection`, async () => {
      await withDevice({ version, bound: true, ...OWNER }, OWNER, async (transport, server) => {
        assert.equal(transport.kind, 'klap');
        assert.equal(transport.authenticatedAs, undefined);
        for (let n = 1; n <= 3; n++) assert.equal(await transport.exchange(request(n), TIMEOUT_MS), echoed(n));
        assert.equal(transport.authenticatedAs, 'user');
        assert.equal(transport.version, version);
        assert.equal(transport.handshakes, 1);
        assert.equal(server.stats.handshake1, 1);
        assert.equal(server.stats.handshake2, 1);
        assert.equal(server.stats.requests, 3);
        assert.equal(server.stats.connections, 1);
        assert.equal(server.stats.badRequests, 0);
        assert.equal(server.stats.forbidden, 0);
      });
    });
  }

  void it('uses the Kasa default credentials on an unbound plug when none are given', async () => {
    await withDevice({ version: 2, bound: false }, {}, async (transport) => {
      assert.equal(await transport.exchange(request(1), TIMEOUT_MS), echoed(1));
      assert.equal(transport.authenticatedAs, 'kasa-default');
      assert.equal(transport.version, 2);
    });
  });

  void it('falls back to the Kasa default credentials when the given ones do not match an unbound plug', async () => {
    await withDevice({ version: 1, bound: false }, OWNER, async (transport) => {
      assert.equal(await transport.exchange(request(1), TIMEOUT_MS), echoed(1));
      assert.equal(transport.authenticatedAs, 'kasa-default');
      assert.equal(transport.version, 1);
    });
  });

  void it('uses blank credentials when the plug holds blank ones', async () => {
    await withDevice({ version: 2, bound: true, username: '', password: '' }, {}, async (transport) => {
      assert.equal(await transport.exchange(request(1), TIMEOUT_MS), echoed(1));
      assert.equal(transport.authenticatedAs, 'blank');
    });
  });

  void it('reports wrong credentials as AUTH without quoting the password', async () => {
    const wrong = { username: 'someone@example.com', password: 'not-the-password-42' };
    await withDevice({ version: 2, bound: true, ...OWNER }, wrong, async (transport, server) => {
      await assert.rejects(
        transport.exchange(request(1), TIMEOUT_MS),
        (err: unknown) =>
          isKasaError(ErrorCode.AUTH, /did not accept the TP-Link account given: it is bound to another account, or the e-mail or password is mistyped/)(err) &&
          !(err as Error).message.includes(wrong.password),
      );
      assert.equal(server.stats.handshake1, 1);
      assert.equal(server.stats.handshake2, 0, 'no handshake2 is sent when no candidate matches');
      assert.equal(transport.authenticatedAs, undefined);
    });
  });

  void it('asks for the account credentials when none were given to a bound plug', async () => {
    await withDevice({ version: 1, bound: true, ...OWNER }, {}, async (transport) => {
      await assert.rejects(
        transport.exchange(request(1), TIMEOUT_MS),
        isKasaError(ErrorCode.AUTH, /it is bound to a TP-Link account: give that account \(the e-mail and password of the Kasa or Tapo app\)/),
      );
    });
  });

  void it('keeps the password out of inspect and JSON output', async () => {
    await withDevice({ version: 2, bound: true, ...OWNER }, OWNER, async (transport) => {
      await transport.exchange(request(1), TIMEOUT_MS);
      assert.ok(!inspect(transport, { depth: 5, showHidden: true }).includes(OWNER.password));
      assert.ok(!JSON.stringify(transport).includes(OWNER.password));
    });
  });

  void it('makes a new handshake and retries once when the session is dropped (HTTP 403)', async () => {
    await withDevice({ version: 2, bound: true, ...OWNER, invalidateAfter: 1 }, OWNER, async (transport, server) => {
      for (let n = 1; n <= 3; n++) assert.equal(await transport.exchange(request(n), TIMEOUT_MS), echoed(n));
      assert.equal(server.stats.forbidden, 2);
      assert.equal(server.stats.handshake2, 3);
      assert.equal(server.stats.requests, 3);
      assert.equal(transport.handshakes, 3);
    });
  });

  void it('retries only once when the device refuses every session', async () => {
    await withDevice({ version: 1, bound: true, ...OWNER, invalidateAfter: 0 }, OWNER, async (transport, server) => {
      await assert.rejects(transport.exchange(request(1), TIMEOUT_MS), isKasaError(ErrorCode.PROTOCOL, /403/));
      assert.equal(server.stats.forbidden, 2);
      assert.equal(server.stats.handshake1, 2);
    });
  });

  void it("renews the session before the device's TIMEOUT, without a refused request", async () => {
    await withDevice({ version: 2, bound: true, ...OWNER, sessionTimeoutSeconds: 1 }, OWNER, async (transport, server) => {
      assert.equal(await transport.exchange(request(1), TIMEOUT_MS), echoed(1));
      // The subject is time passing: past the renewal point (half of a 1 s session), short of expiry.
      await delay(600);
      assert.equal(await transport.exchange(request(2), TIMEOUT_MS), echoed(2));
      assert.equal(transport.handshakes, 2);
      assert.equal(server.stats.handshake2, 2);
      assert.equal(server.stats.forbidden, 0);
      assert.equal(server.stats.expired, 0);
    });
  });

  void it('renews the session after sessionTimeoutMs even when the device allows longer', async () => {
    await withDevice({ version: 1, bound: true, ...OWNER }, { ...OWNER, sessionTimeoutMs: 200 }, async (transport, server) => {
      await transport.exchange(request(1), TIMEOUT_MS);
      await transport.exchange(request(2), TIMEOUT_MS);
      assert.equal(transport.handshakes, 1, 'the session is reused within its lifetime');
      await delay(150);
      await transport.exchange(request(3), TIMEOUT_MS);
      assert.equal(transport.handshakes, 2);
      assert.equal(server.stats.forbidden, 0);
    });
  });

  void it('works when the device closes the connection after each request', async () => {
    await withDevice({ version: 2, bound: true, ...OWNER, closeAfterEachRequest: true }, OWNER, async (transport, server) => {
      for (let n = 1; n <= 3; n++) assert.equal(await transport.exchange(request(n), TIMEOUT_MS), echoed(n));
      // handshake1 + handshake2 + 3 requests, each on its own connection
      assert.equal(server.stats.connections, 5);
      assert.equal(server.stats.requests, 3);
    });
  });

  void it('reconnects when the device dropped the idle keep-alive connection, and asks a read again', async () => {
    await withDevice({ version: 1, bound: true, ...OWNER }, OWNER, async (transport, server) => {
      await transport.exchange(request(1), TIMEOUT_MS);
      await server.dropConnections();
      assert.equal(await transport.exchange(request(2), TIMEOUT_MS, true), echoed(2));
      assert.equal(server.stats.connections, 2);
      assert.equal(transport.handshakes, 1, 'the session survives the connection');
    });
  });

  void it('does not send a command again when the device took it and closed without answering', async () => {
    await withDevice({ version: 1, bound: true, ...OWNER }, OWNER, async (transport, server) => {
      await transport.exchange(request(1), TIMEOUT_MS);
      const before = server.stats.requests;
      server.dropNextReplies(1);
      await assert.rejects(transport.exchange(request(2), TIMEOUT_MS, false), isKasaError(ErrorCode.RESET, /may or may not have run/));
      assert.equal(server.stats.requests - before, 1, 'the command ran exactly once');
      // The next one opens a fresh connection and works.
      assert.equal(await transport.exchange(request(3), TIMEOUT_MS, false), echoed(3));
    });
  });

  void it('says a command may or may not have run when the connection it went out on was a fresh one', async () => {
    // Connection: close after each request, so each one goes out on a new connection: nothing stale to blame.
    await withDevice({ version: 1, bound: true, ...OWNER, closeAfterEachRequest: true }, OWNER, async (transport, server) => {
      await transport.exchange(request(1), TIMEOUT_MS);
      const before = server.stats.requests;
      server.dropNextReplies(1);
      await assert.rejects(transport.exchange(request(2), TIMEOUT_MS, false), isKasaError(ErrorCode.RESET, /may or may not have run/));
      assert.equal(server.stats.requests - before, 1, 'the command ran exactly once');
    });
  });

  void it('asks a read again when the device took it and closed without answering', async () => {
    await withDevice({ version: 1, bound: true, ...OWNER }, OWNER, async (transport, server) => {
      await transport.exchange(request(1), TIMEOUT_MS);
      server.dropNextReplies(1);
      assert.equal(await transport.exchange(request(2), TIMEOUT_MS, true), echoed(2));
    });
  });

  void it('sends strictly increasing sequence numbers, even for overlapping calls', async () => {
    await withDevice({ version: 2, bound: true, ...OWNER }, OWNER, async (transport, server) => {
      const replies = await Promise.all([1, 2, 3, 4, 5].map((n) => transport.exchange(request(n), TIMEOUT_MS)));
      assert.deepEqual(replies, [1, 2, 3, 4, 5].map(echoed));
      assert.equal(server.stats.requests, 5);
      assert.equal(server.stats.badRequests, 0);
    });
  });

  void it('rejects a reply whose signature does not match as PROTOCOL', async () => {
    await withDevice({ version: 1, bound: true, ...OWNER, corruptReplySignature: true }, OWNER, async (transport) => {
      await assert.rejects(transport.exchange(request(1), TIMEOUT_MS), isKasaError(ErrorCode.PROTOCOL, /signature/));
    });
  });

  void it('refuses a reply larger than maxReplyBytes, then carries on', async () => {
    const handle = (json: string): string => (json.includes('big') ? JSON.stringify({ data: 'x'.repeat(200_000) }) : echo(json));
    await withDevice({ version: 2, bound: true, ...OWNER, handle }, { ...OWNER, maxReplyBytes: 10_000 }, async (transport) => {
      await assert.rejects(
        transport.exchange('{"big":{}}', TIMEOUT_MS),
        isKasaError(ErrorCode.TOO_LARGE, /maximum of 10000 bytes/),
      );
      assert.equal(await transport.exchange(request(2), TIMEOUT_MS), echoed(2));
    });
  });
});

void describe('KlapTransport failures', () => {
  void it('reports a refused connection as REFUSED', async () => {
    const transport = new KlapTransport({ host: '127.0.0.1', port: await freePort() });
    try {
      await assert.rejects(transport.exchange(request(1), TIMEOUT_MS), isKasaError(ErrorCode.REFUSED, /refused the connection/));
    } finally {
      await transport.close();
    }
  });

  void it('reports a device that never answers as TIMEOUT', async () => {
    const silent = await silentServer();
    const transport = new KlapTransport({ host: '127.0.0.1', port: silent.port });
    try {
      const started = Date.now();
      await assert.rejects(transport.exchange(request(1), 300), isKasaError(ErrorCode.TIMEOUT, /did not answer within 0\.3 s/));
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 250 && elapsed < 2000, `took ${elapsed} ms`);
    } finally {
      await transport.close();
      await silent.stop();
    }
  });

  void it('reports an HTTP error status as PROTOCOL with the status', async () => {
    const server = await plainHttpServer(500, 'oops');
    const transport = new KlapTransport({ host: '127.0.0.1', port: server.port });
    try {
      await assert.rejects(transport.exchange(request(1), TIMEOUT_MS), isKasaError(ErrorCode.PROTOCOL, /HTTP 500/));
    } finally {
      await transport.close();
      await server.stop();
    }
  });

  void it('reports a server that is not a KLAP device as PROTOCOL', async () => {
    const server = await plainHttpServer(200, '<html>router</html>');
    const transport = new KlapTransport({ host: '127.0.0.1', port: server.port });
    try {
      await assert.rejects(transport.exchange(request(1), TIMEOUT_MS), isKasaError(ErrorCode.PROTOCOL, /instead of 48/));
    } finally {
      await transport.close();
      await server.stop();
    }
  });

  void it('rejects an exchange in progress with CLOSED when closed', async () => {
    const silent = await silentServer();
    const transport = new KlapTransport({ host: '127.0.0.1', port: silent.port });
    try {
      const pending = transport.exchange(request(1), TIMEOUT_MS);
      const started = Date.now();
      await Promise.all([assert.rejects(pending, isKasaError(ErrorCode.CLOSED)), transport.close()]);
      assert.ok(Date.now() - started < 1000);
      await assert.rejects(transport.exchange(request(2), TIMEOUT_MS), isKasaError(ErrorCode.CLOSED));
    } finally {
      await transport.close();
      await silent.stop();
    }
  });

  void it('closes cleanly while a request waits on a kept-alive connection', async () => {
    await withDevice({ version: 2, bound: true, ...OWNER }, OWNER, async (transport, server) => {
      await transport.exchange(request(1), TIMEOUT_MS);
      server.replyDelayMs = 2000;
      const pending = transport.exchange(request(2), TIMEOUT_MS);
      await waitFor(() => server.stats.requests === 2, 'the second request at the device');
      // The aborted request's socket errors before it closes: close() must still resolve.
      await Promise.all([assert.rejects(pending, isKasaError(ErrorCode.CLOSED)), transport.close()]);
    });
  });

  void it('leaves no socket or timer behind after close()', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    // Every client socket the process opens is announced on this channel.
    const opened: net.Socket[] = [];
    const closed = new Set<net.Socket>();
    const onSocket = (message: unknown): void => {
      const socket = (message as { socket: net.Socket }).socket;
      opened.push(socket);
      socket.once('close', () => closed.add(socket));
    };
    const timersBefore = timers();
    const server = new KlapServer({ handle: echo, version: 2, bound: true, ...OWNER });
    const port = await server.start();
    const transport = new KlapTransport({ host: '127.0.0.1', port, ...OWNER });
    diagnostics.subscribe('net.client.socket', onSocket);
    try {
      await transport.exchange(request(1), TIMEOUT_MS);
      await transport.exchange(request(2), TIMEOUT_MS);
      assert.equal(server.stats.openConnections, 1);
      await transport.close();
      assert.equal(opened.length, 1, 'one keep-alive connection for both exchanges');
      assert.ok(opened.every((socket) => closed.has(socket)), 'every socket has closed when close() resolves');
      assert.equal(timers(), timersBefore);
      await server.whenNoConnections();
      assert.equal(server.stats.openConnections, 0);
    } finally {
      diagnostics.unsubscribe('net.client.socket', onSocket);
      await transport.close();
      await server.stop();
    }
  });
});

void describe('probeKlap', () => {
  void it('recognises a KLAP device, without credentials', async () => {
    const server = new KlapServer({ handle: echo, version: 2, bound: true, ...OWNER });
    const port = await server.start();
    try {
      assert.equal(await probeKlap('127.0.0.1', port, TIMEOUT_MS), 'klap');
      assert.equal(server.stats.handshake1, 1);
    } finally {
      await server.stop();
    }
  });

  void it('says none for a refused port and a silent one, http for another HTTP server', async () => {
    assert.equal(await probeKlap('127.0.0.1', await freePort(), TIMEOUT_MS), 'none');
    const silent = await silentServer();
    const web = await plainHttpServer(200, 'hello');
    try {
      assert.equal(await probeKlap('127.0.0.1', silent.port, 300), 'none');
      assert.equal(await probeKlap('127.0.0.1', web.port, TIMEOUT_MS), 'http');
    } finally {
      await silent.stop();
      await web.stop();
    }
  });
});

void describe('a device that answers HTTP but not KLAP (AES or TPAP firmware)', () => {
  void it('is explained by the KLAP transport and by auto, not taken for a wrong password', async () => {
    const web = await plainHttpServer(404, 'not found');
    const klap = new KlapTransport({ host: '127.0.0.1', port: web.port });
    const auto = createTransport({ transport: 'auto', host: '127.0.0.1', port: await freePort(), klapPort: web.port });
    try {
      const request = '{"system":{"get_sysinfo":{}}}';
      await assert.rejects(klap.exchange(request, TIMEOUT_MS, true), isKasaError(ErrorCode.PROTOCOL, /HTTP 404.*answers HTTP but not KLAP.*TPAP/));
      await assert.rejects(auto.exchange(request, TIMEOUT_MS, true), isKasaError(ErrorCode.REFUSED, /answers HTTP but not KLAP.*TPAP/));
    } finally {
      await klap.close();
      await auto.close();
      await web.stop();
    }
  });
});

