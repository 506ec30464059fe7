import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authHash, serverHash } from '../../../../src/transport/klap/auth-hash';
import { credentialCandidates, matchCandidate } from '../../../../src/transport/klap/credentials';
import { KlapSession, nextSeq } from '../../../../src/transport/klap/session';

// Vectors from docs/protocol.md, section 4 ("KLAP for SMART devices"), on the inputs of section 3.
const localSeed = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const remoteSeed = Buffer.from('101112131415161718191a1b1c1d1e1f', 'hex');

void describe('KLAP v2 for SMART devices: the section 5 vector', () => {
  const session = new KlapSession(localSeed, remoteSeed, authHash(2, 'user@example.com', 'secret'));
  const seq = nextSeq(session.initialSeq);
  const sealed = session.seal(seq, Buffer.from('{"method":"get_device_info"}', 'utf8'));

  void it('derives the signature key', () => {
    assert.equal(session.signatureKey.toString('hex'), '777443e2fdd5cb21052633a60e830f44c8654b3a701f449231ed11fa');
  });

  void it('sends the first request at seq -903964343 with iv_seq 863e...9949', () => {
    assert.equal(seq, -903964343);
    const ivSeq = Buffer.alloc(4);
    ivSeq.writeInt32BE(seq, 0);
    assert.equal(Buffer.concat([session.ivPrefix, ivSeq]).toString('hex'), '863e09a70667472d3fa152a4ca1e9949');
  });

  void it('encrypts and signs {"method":"get_device_info"} as documented', () => {
    assert.equal(sealed.subarray(32).toString('hex'), '1119b459358000bec16c976ef226a249c491bf18064c9319a51d85792116a683');
    assert.equal(sealed.subarray(0, 32).toString('hex'), '81da24b0a1db4c9ec2fd895b347d416921d7f7a822457b501a52072e5f9acebf');
    assert.equal(session.open(seq, sealed, 'test').toString('utf8'), '{"method":"get_device_info"}');
  });
});

void describe('KLAP credential candidates of the SMART family', () => {
  void it('orders user, Tapo default, Kasa default, blank, v2 only', () => {
    const order = credentialCandidates('me@example.com', 'pw', 'smart').map((c) => `${c.source}/v${c.version}`);
    assert.deepEqual(order, ['user/v2', 'tapo-default/v2', 'kasa-default/v2', 'blank/v2']);
  });

  void it('matches a device that holds the Tapo default test@tp-link.net / test', () => {
    const hash = serverHash(2, localSeed, remoteSeed, authHash(2, 'test@tp-link.net', 'test'));
    assert.equal(matchCandidate(credentialCandidates(undefined, undefined, 'smart'), localSeed, remoteSeed, hash)?.source, 'tapo-default');
    // The Kasa family does not try it.
    assert.equal(matchCandidate(credentialCandidates(), localSeed, remoteSeed, hash), undefined);
  });

  void it('keeps the Kasa family unchanged by default', () => {
    assert.deepEqual(
      credentialCandidates().map((c) => c.source),
      ['kasa-default', 'kasa-default', 'blank', 'blank'],
    );
  });
});
