import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, KasaError } from '../../../../src/util/errors';
import { KlapVersion, authHash, handshake2Hash, serverHash } from '../../../../src/transport/klap/auth-hash';
import { credentialCandidates, matchCandidate } from '../../../../src/transport/klap/credentials';
import { KlapSession, nextSeq } from '../../../../src/transport/klap/session';

// Vectors from PROTOCOL.md section 3.
const localSeed = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const remoteSeed = Buffer.from('101112131415161718191a1b1c1d1e1f', 'hex');
const request = '{"system":{"get_sysinfo":{}}}';

interface Vector {
  auth: string;
  serverHash: string;
  handshake2: string;
  key: string;
  iv: string;
  seq0: number;
  ciphertext: string;
  signature: string;
}

const vectors: Record<KlapVersion, Vector> = {
  1: {
    auth: '9d6ce791ce44316e9e52fc1bc9d36496',
    serverHash: 'c2d456076f946c707000874d2e226a1c09e89a21e459272b8ec0f01cdaf774cf',
    handshake2: '50ef3325d42cd7c999aa9e47e8cb0f8a7f6f239f1d51b39d46d581a4bb75c8c5',
    key: 'c5d896030359050e711d402b829b53cd',
    iv: '3dcdd2bc7801fec3a7a7eb96',
    seq0: -59551828,
    ciphertext: 'd938d48d944c90ce1725e9a8ea0af3a37e8b6039e6189a3a497bf0b9b03700d8',
    signature: 'c96f0b774642c44a6c9b1ddc66d940fd1ef589b5839f50918b910bc99cce62a9',
  },
  2: {
    auth: 'b039216532fc844e9ae0cc8fe3ea911c9ba09c641bb96a3e1f776d93f7b5ae9b',
    serverHash: '8ed3b905e654fbee23900d0244156a33029c025b71b03bfcc601eff33aaebb70',
    handshake2: '1e590e7a4dc128da48ed17e06fe23ddb6ec646bb6da2eb00708d590f194201d7',
    key: '35dcf29cd535ce140a239c67f641d395',
    iv: '863e09a70667472d3fa152a4',
    seq0: -903964344,
    ciphertext: 'b2ea7862e52efd2186b9d6c73afb86a8b9821180993deb7e55bf8d03b44290d9',
    signature: 'ee33583262ebfd6b6977db181b8ba22a26f04b66d42c628224c0a40961942c64',
  },
};

for (const version of [1, 2] as const) {
  const v = vectors[version];
  const auth = authHash(version, 'user@example.com', 'secret');

  void describe(`KLAP v${version} vectors`, () => {
    void it('derives the auth hash', () => {
      assert.equal(auth.toString('hex'), v.auth);
    });

    void it('computes the server hash and the handshake2 body', () => {
      assert.equal(serverHash(version, localSeed, remoteSeed, auth).toString('hex'), v.serverHash);
      assert.equal(handshake2Hash(version, localSeed, remoteSeed, auth).toString('hex'), v.handshake2);
    });

    void it('derives key, iv and initial sequence', () => {
      const session = new KlapSession(localSeed, remoteSeed, auth);
      assert.equal(session.key.toString('hex'), v.key);
      assert.equal(session.ivPrefix.toString('hex'), v.iv);
      assert.equal(session.initialSeq, v.seq0);
    });

    void it('encrypts and signs the first request, and opens it again', () => {
      const session = new KlapSession(localSeed, remoteSeed, auth);
      const seq = nextSeq(session.initialSeq);
      assert.equal(seq, v.seq0 + 1);
      const body = session.seal(seq, Buffer.from(request, 'utf8'));
      assert.equal(body.subarray(0, 32).toString('hex'), v.signature);
      assert.equal(body.subarray(32).toString('hex'), v.ciphertext);
      assert.equal(session.open(seq, body, 'test').toString('utf8'), request);
    });

    void it('finds the user credentials among the candidates', () => {
      const candidates = credentialCandidates('user@example.com', 'secret');
      const match = matchCandidate(candidates, localSeed, remoteSeed, Buffer.from(v.serverHash, 'hex'));
      assert.equal(match?.source, 'user');
      assert.equal(match?.version, version);
      assert.equal(match?.authHash.toString('hex'), v.auth);
    });
  });
}

void describe('KLAP session checks', () => {
  const session = new KlapSession(localSeed, remoteSeed, authHash(1, 'user@example.com', 'secret'));

  void it('rejects a message with a wrong signature as PROTOCOL', () => {
    const body = session.seal(5, Buffer.from(request));
    body[0] = body[0]! ^ 1;
    assert.throws(
      () => session.open(5, body, 'dev'),
      (err: unknown) => err instanceof KasaError && err.code === ErrorCode.PROTOCOL && /signature/.test(err.message),
    );
  });

  void it('rejects a message opened with another sequence number', () => {
    const body = session.seal(5, Buffer.from(request));
    assert.throws(() => session.open(6, body, 'dev'), (err: unknown) => err instanceof KasaError && err.code === ErrorCode.PROTOCOL);
  });

  void it('rejects a body too short to hold a signature and a block', () => {
    assert.throws(
      () => session.open(1, Buffer.alloc(40), 'dev'),
      (err: unknown) => err instanceof KasaError && err.code === ErrorCode.PROTOCOL && /40 bytes/.test(err.message),
    );
  });

  void it('wraps the sequence number as a signed 32-bit integer', () => {
    assert.equal(nextSeq(2147483647), -2147483648);
    assert.equal(nextSeq(-1), 0);
  });
});

void describe('KLAP credential candidates', () => {
  void it('orders user, kasa default, blank, each v1 then v2', () => {
    const order = credentialCandidates('me@example.com', 'pw').map((c) => `${c.source}/v${c.version}`);
    assert.deepEqual(order, ['user/v1', 'user/v2', 'kasa-default/v1', 'kasa-default/v2', 'blank/v1', 'blank/v2']);
  });

  void it('leaves out the user entry when no credentials are given', () => {
    const order = credentialCandidates(undefined, '').map((c) => c.source);
    assert.deepEqual(order, ['kasa-default', 'kasa-default', 'blank', 'blank']);
  });

  void it('matches the kasa default credentials', () => {
    const auth = authHash(2, 'kasa@tp-link.net', 'kasaSetup');
    const match = matchCandidate(credentialCandidates(), localSeed, remoteSeed, serverHash(2, localSeed, remoteSeed, auth));
    assert.equal(match?.source, 'kasa-default');
    assert.equal(match?.version, 2);
  });

  void it('matches nothing when the device holds other credentials', () => {
    const auth = authHash(1, 'owner@example.com', 'other');
    const hash = serverHash(1, localSeed, remoteSeed, auth);
    assert.equal(matchCandidate(credentialCandidates('user@example.com', 'secret'), localSeed, remoteSeed, hash), undefined);
  });
});
