import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { KlapVersion, authHash, handshake2Hash, serverHash } from '../../src/transport/klap/auth-hash';
import { parseCookiePairs } from '../../src/transport/klap/cookies';
import { HttpReply, httpPost } from '../../src/transport/klap/http-post';
import { KlapSession, nextSeq } from '../../src/transport/klap/session';
import { KlapServer } from '../../src/simulator/klap-server';

const OWNER = { username: 'owner@example.com', password: 'pw' };
const VERSION: KlapVersion = 2;
const handled: string[] = [];

function handle(json: string): string {
  handled.push(json);
  return '{"ok":true}';
}

/** One POST on a connection of its own, as a raw client would send it. */
function post(port: number, path: string, body: Buffer, cookie?: string): Promise<HttpReply> {
  return httpPost({
    repeatable: false,
    host: '127.0.0.1',
    port,
    path,
    body,
    ...(cookie === undefined ? {} : { cookie }),
    device: `127.0.0.1:${port}`,
    deadline: Date.now() + 3000,
    budgetMs: 3000,
    maxReplyBytes: 1 << 20,
  });
}

interface Handshake {
  cookie: string;
  keys: KlapSession;
  local: Buffer;
  remote: Buffer;
}

/** Does handshake1 (and handshake2 unless told not to) with the owner's credentials. */
async function handshake(port: number, second = true): Promise<Handshake> {
  const auth = authHash(VERSION, OWNER.username, OWNER.password);
  const local = randomBytes(16);
  const first = await post(port, '/app/handshake1', local);
  assert.equal(first.status, 200);
  const id = parseCookiePairs(first.headers['set-cookie']).get('TP_SESSIONID');
  assert.ok(id !== undefined);
  const remote = first.body.subarray(0, 16);
  const cookie = `TP_SESSIONID=${id}`;
  if (second) {
    const reply = await post(port, '/app/handshake2', handshake2Hash(VERSION, local, remote, auth), cookie);
    assert.equal(reply.status, 200);
  }
  return { cookie, keys: new KlapSession(local, remote, auth), local, remote };
}

void describe('KlapServer', () => {
  const server = new KlapServer({ handle, version: VERSION, bound: true, ...OWNER });
  let port = 0;
  before(async () => {
    port = await server.start();
  });
  after(() => server.stop());

  void it('answers handshake1 with a remote seed, its hash of the credentials and the session cookies', async () => {
    const local = randomBytes(16);
    const reply = await post(port, '/app/handshake1', local);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.length, 48);
    const auth = authHash(VERSION, OWNER.username, OWNER.password);
    assert.deepEqual(reply.body.subarray(16), serverHash(VERSION, local, reply.body.subarray(0, 16), auth));
    const cookies = parseCookiePairs(reply.headers['set-cookie']);
    assert.match(cookies.get('TP_SESSIONID') ?? '', /^[0-9A-F]{32}$/);
    assert.equal(cookies.get('TIMEOUT'), '86400');
  });

  void it('refuses a local seed that is not 16 bytes', async () => {
    assert.equal((await post(port, '/app/handshake1', Buffer.alloc(15))).status, 400);
  });

  void it('refuses a handshake2 with the wrong proof', async () => {
    const { cookie, local, remote } = await handshake(port, false);
    const wrong = handshake2Hash(VERSION, local, remote, authHash(VERSION, 'x', 'y'));
    assert.equal((await post(port, '/app/handshake2', wrong, cookie)).status, 403);
  });

  void it('answers an encrypted request with the handler reply, sealed with the same sequence number', async () => {
    const { cookie, keys } = await handshake(port);
    const seq = nextSeq(keys.initialSeq);
    const reply = await post(port, `/app/request?seq=${seq}`, keys.seal(seq, Buffer.from('{"a":1}')), cookie);
    assert.equal(reply.status, 200);
    assert.equal(keys.open(seq, reply.body, 'server').toString(), '{"ok":true}');
    assert.equal(handled.at(-1), '{"a":1}');
    assert.equal(server.stats.lastSeq, seq);
  });

  void it('refuses repeated or decreasing sequence numbers, bad signatures and extra cookies', async () => {
    const { cookie, keys } = await handshake(port);
    const seq = nextSeq(nextSeq(keys.initialSeq));
    const ok = await post(port, `/app/request?seq=${seq}`, keys.seal(seq, Buffer.from('{}')), cookie);
    assert.equal(ok.status, 200);
    const badBefore = server.stats.badRequests;
    const repeated = await post(port, `/app/request?seq=${seq}`, keys.seal(seq, Buffer.from('{}')), cookie);
    const lower = await post(port, `/app/request?seq=${seq - 1}`, keys.seal(seq - 1, Buffer.from('{}')), cookie);
    const next = nextSeq(seq);
    const forged = keys.seal(next, Buffer.from('{}'));
    forged[5] = forged[5]! ^ 1;
    const badSignature = await post(port, `/app/request?seq=${next}`, forged, cookie);
    const extraCookie = await post(port, `/app/request?seq=${next}`, keys.seal(next, Buffer.from('{}')), `${cookie}; TIMEOUT=86400`);
    assert.deepEqual([repeated.status, lower.status, badSignature.status, extraCookie.status], [400, 400, 400, 400]);
    assert.equal(server.stats.badRequests, badBefore + 4);
    // The session is still good for the next sequence number.
    assert.equal((await post(port, `/app/request?seq=${next}`, keys.seal(next, Buffer.from('{}')), cookie)).status, 200);
  });

  void it('refuses requests without handshake2 or with an unknown session', async () => {
    const { cookie, keys } = await handshake(port, false);
    const seq = nextSeq(keys.initialSeq);
    assert.equal((await post(port, `/app/request?seq=${seq}`, keys.seal(seq, Buffer.from('{}')), cookie)).status, 403);
    assert.equal((await post(port, `/app/request?seq=${seq}`, keys.seal(seq, Buffer.from('{}')), 'TP_SESSIONID=NOPE')).status, 403);
  });

  void it('refuses requests on an expired session', async () => {
    const shortLived = new KlapServer({ handle, version: VERSION, bound: true, ...OWNER, sessionTimeoutSeconds: 0.3 });
    const shortPort = await shortLived.start();
    try {
      const { cookie, keys } = await handshake(shortPort);
      // The subject is time passing: the session lives 0.3 s.
      await delay(350);
      const seq = nextSeq(keys.initialSeq);
      const reply = await post(shortPort, `/app/request?seq=${seq}`, keys.seal(seq, Buffer.from('{}')), cookie);
      assert.equal(reply.status, 403);
      assert.equal(shortLived.stats.expired, 1);
      assert.equal(shortLived.stats.forbidden, 1);
    } finally {
      await shortLived.stop();
    }
  });

  void it('answers a plain JSON request on /app as a KLAP device does, 404 to other paths and 405 to other methods', async () => {
    const plain = await post(port, '/app', Buffer.from('{"method":"component_nego"}'));
    assert.equal(plain.status, 200);
    assert.deepEqual(JSON.parse(plain.body.toString('utf8')), { error_code: 1003 });
    assert.equal((await post(port, '/app/other', Buffer.alloc(0))).status, 404);
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/app/handshake1', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(status, 405);
  });
});

void describe('KlapServer, unbound', () => {
  void it('holds the Kasa default credentials', async () => {
    const server = new KlapServer({ handle, version: 1, bound: false, ...OWNER });
    const port = await server.start();
    try {
      const local = randomBytes(16);
      const reply = await post(port, '/app/handshake1', local);
      const auth = authHash(1, 'kasa@tp-link.net', 'kasaSetup');
      assert.deepEqual(reply.body.subarray(16), serverHash(1, local, reply.body.subarray(0, 16), auth));
    } finally {
      await server.stop();
    }
  });
});
