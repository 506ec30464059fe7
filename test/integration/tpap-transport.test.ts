// The TPAP transport against the simulated TPAP device (src/simulator/tpap-server.ts) on 127.0.0.1:
// the login's steps and their traces, the variants refused before any login, lockouts, HTTPS with
// the device's self-signed certificate, the session ciphers, and the no-blind-retry rule.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCode } from '../../src/util/errors';
import { TpapServer, TpapServerOptions } from '../../src/simulator/tpap-server';
import type { ExchangeTrace } from '../../src/util/trace';
import { TpapTransport, TpapTransportOptions } from '../../src/transport/tpap';
import { expectKasaError } from '../support/errors';

const LIMIT = { timeout: 30_000 };
const TIMEOUT_MS = 5000;
const OWNER = { username: 'owner@example.com', password: 'tapo owner pw' };
const MAC = '48-22-54-00-00-01';
const TLS_DIR = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'tpap-tls');
const tlsOf = (name: 'a' | 'b') => ({ key: fs.readFileSync(path.join(TLS_DIR, `device-${name}.key`), 'utf8'), cert: fs.readFileSync(path.join(TLS_DIR, `device-${name}.crt`), 'utf8') });

const GET_INFO = '{"method":"get_device_info"}';
const SET_ON = '{"method":"set_device_info","params":{"device_on":true}}';

const servers: TpapServer[] = [];
const transports: TpapTransport[] = [];

/** A device that answers what it was asked, counting what it ran. */
async function device(options: Partial<TpapServerOptions> = {}): Promise<{ server: TpapServer; ran: string[] }> {
  const ran: string[] = [];
  const server = new TpapServer({ mac: MAC, ...OWNER, handle: (json) => (ran.push(json), JSON.stringify({ error_code: 0, result: { echo: JSON.parse(json) as unknown } })), ...options });
  await server.start();
  servers.push(server);
  return { server, ran };
}

function client(server: TpapServer, options: Partial<TpapTransportOptions> = {}): TpapTransport {
  const transport = new TpapTransport({ host: '127.0.0.1', port: server.port, ...OWNER, ...options });
  transports.push(transport);
  return transport;
}

void describe('the TPAP transport', () => {
  after(async () => {
    for (const transport of transports.splice(0)) await transport.close();
    for (const server of servers.splice(0)) await server.stop();
  });

  void it('logs in once (discover, pake_register, pake_share) and keeps the session; each step traced by its shapes, no secret', LIMIT, async () => {
    const { server, ran } = await device();
    const traces: ExchangeTrace[] = [];
    const transport = client(server, { onExchange: (trace) => traces.push(trace) });
    for (let i = 0; i < 3; i++) assert.equal(JSON.parse(await transport.exchange(GET_INFO, TIMEOUT_MS, true)).result.echo.method, 'get_device_info');
    assert.equal(ran.length, 3);
    assert.deepEqual([server.stats.discovers, server.stats.registers, server.stats.logins, transport.logins], [1, 1, 1, 1]);
    assert.deepEqual(
      traces.map((t) => (JSON.parse(t.sent) as { params: { sub_method: string } }).params.sub_method),
      ['discover', 'pake_register', 'pake_share'],
    );
    const text = JSON.stringify(traces);
    assert.match(text, /\\"user_random\\":\\"<32 bytes>\\"/);
    assert.match(text, /\\"dev_share\\":\\"<65 bytes>\\"/);
    assert.match(text, /\\"iterations\\":5000/);
    assert.match(text, /\\"stok\\":\\"\*\*\*\\"/);
    for (const secret of [OWNER.password, OWNER.username, MAC]) assert.ok(!text.includes(secret), `no ${secret} in the trace`);
  });

  void it('an unbound device: its default passcode from the MAC, no account needed; a bound one without an account: AUTH before any login', LIMIT, async () => {
    const unbound = await device({ username: undefined, password: undefined });
    const anonymous = client(unbound.server, { username: undefined, password: undefined });
    await anonymous.exchange(GET_INFO, TIMEOUT_MS, true);
    assert.equal(unbound.server.stats.logins, 1);
    const bound = await device();
    const err = await expectKasaError(client(bound.server, { username: undefined, password: undefined }).exchange(GET_INFO, TIMEOUT_MS, true));
    assert.equal(err.code, ErrorCode.AUTH);
    assert.match(err.message, /bound to a TP-Link account and logs in with TPAP/);
    assert.equal(bound.server.stats.registers, 0, 'nothing that could count as a failed login was sent');
  });

  void it("asks for the password's SHA-1 when the device says so (extra_crypt password_shadow 2)", LIMIT, async () => {
    const { server } = await device({ extraCrypt: 'password_shadow' });
    await client(server).exchange(GET_INFO, TIMEOUT_MS, true);
    assert.equal(server.stats.logins, 1);
  });

  void it('a wrong password: AUTH once, then no login at all; a locked device: AUTH saying so', LIMIT, async () => {
    const { server } = await device({ lockAfter: 2 });
    const wrong = client(server, { password: 'nope-4711' });
    for (let i = 0; i < 3; i++) {
      const err = await expectKasaError(wrong.exchange(GET_INFO, TIMEOUT_MS, true));
      assert.equal(err.code, ErrorCode.AUTH);
      assert.match(err.message, /did not accept the TP-Link account given \(TPAP error -2203\)/);
      assert.match(err.message, /failed_attempts 1, remain_attempts 1/);
      assert.ok(!err.message.includes('nope-4711'));
    }
    assert.equal(server.stats.loginsRefused, 1, 'one failed login for three requests');
    await expectKasaError(client(server, { password: 'again wrong' }).exchange(GET_INFO, TIMEOUT_MS, true));
    const locked = await expectKasaError(client(server).exchange(GET_INFO, TIMEOUT_MS, true));
    assert.equal(locked.code, ErrorCode.AUTH);
    assert.match(locked.message, /locked its logins after too many failed ones \(error -2101\)/);
  });

  void it('variants not spoken: NOT_SUPPORTED in plain words before any login', LIMIT, async () => {
    const cases: Array<[TpapServerOptions['announce'], RegExp]> = [
      [{ tls: 2 }, /TLS mode 2 \(mutual TLS/],
      [{ dac: true }, /device attestation \(DAC\)/],
      [{ pake: [3] }, /passcode types \[3\]/],
    ];
    for (const [announce, words] of cases) {
      const { server } = await device(announce === undefined ? {} : { announce });
      const err = await expectKasaError(client(server).exchange(GET_INFO, TIMEOUT_MS, true));
      assert.equal(err.code, ErrorCode.NOT_SUPPORTED, JSON.stringify(announce));
      assert.match(err.message, words);
      assert.match(err.message, /No login was tried/);
      assert.equal(server.stats.registers, 0);
    }
  });

  void it('speaks the session cipher the device picks: AES-256-CCM and ChaCha20-Poly1305 too', LIMIT, async () => {
    for (const cipher of ['aes_256_ccm', 'chacha20_poly1305'] as const) {
      const { server, ran } = await device({ cipher });
      await client(server).exchange(SET_ON, TIMEOUT_MS);
      assert.deepEqual(ran, [SET_ON], cipher);
    }
  });

  void it('over HTTPS (tls 1): accepts the self-signed certificate, remembers it, and warns when it changes', LIMIT, async () => {
    const { server } = await device({ tls: tlsOf('a') });
    const warnings: string[] = [];
    const transport = client(server, { onWarning: (message) => warnings.push(message) });
    await transport.exchange(GET_INFO, TIMEOUT_MS, true);
    const first = transport.certificateFingerprint;
    assert.match(first ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    server.dropSessions();
    await transport.exchange(GET_INFO, TIMEOUT_MS, true);
    assert.equal(warnings.length, 0, 'the same certificate again: nothing to say');
    assert.equal(server.stats.logins, 2);
    // The same device with another certificate (a reset, or someone else): warned of, not refused.
    const other = await device({ tls: tlsOf('b'), port: 0 });
    const moved = client(other.server, { knownCertificate: first!, onWarning: (message) => warnings.push(message) });
    await moved.exchange(GET_INFO, TIMEOUT_MS, true);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /shows a different TLS certificate than before/);
    assert.ok(warnings[0]!.includes(first!) && warnings[0]!.includes(moved.certificateFingerprint!));
  });

  void it('a command whose reply never came is not sent again; a read is', LIMIT, async () => {
    const { server, ran } = await device();
    const transport = client(server);
    await transport.exchange(GET_INFO, TIMEOUT_MS, true);
    server.dropNextReplies(1);
    const err = await expectKasaError(transport.exchange(SET_ON, TIMEOUT_MS));
    assert.equal(err.code, ErrorCode.RESET);
    assert.match(err.message, /may or may not have run; it was not sent again/);
    assert.equal(ran.filter((r) => r === SET_ON).length, 1, 'the command ran once');
    server.dropNextReplies(1);
    await transport.exchange(GET_INFO, TIMEOUT_MS, true);
    assert.equal(ran.filter((r) => r === GET_INFO).length, 3, 'the read went out again');
  });

  void it('a session ended mid-flow (answered -2203 in the clear): a new login, and the command runs once', LIMIT, async () => {
    const { server, ran } = await device({ invalidateAfter: 1 });
    const transport = client(server);
    await transport.exchange(GET_INFO, TIMEOUT_MS, true);
    await transport.exchange(SET_ON, TIMEOUT_MS);
    assert.deepEqual(ran, [GET_INFO, SET_ON]);
    assert.deepEqual([server.stats.sessionErrors, server.stats.logins], [1, 2]);
  });

  void it('a device that rebooted (connections and sessions gone): a read gets through, on a fresh connection and a new login', LIMIT, async () => {
    const { server, ran } = await device();
    const transport = client(server);
    await transport.exchange(GET_INFO, TIMEOUT_MS, true);
    server.dropSessions();
    await server.dropConnections();
    await transport.exchange(GET_INFO, TIMEOUT_MS, true);
    assert.equal(ran.length, 2);
    assert.equal(server.stats.logins, 2);
  });

  void it('a login whose dev_confirm proves nothing: AUTH, held like a refused account', LIMIT, async () => {
    const { server, ran } = await device({ corruptDevConfirm: true });
    const transport = client(server);
    for (let i = 0; i < 2; i++) {
      const err = await expectKasaError(transport.exchange(SET_ON, TIMEOUT_MS));
      assert.equal(err.code, ErrorCode.AUTH);
      assert.match(err.message, /without proving that it holds the same secret/);
    }
    assert.equal(server.stats.registers, 1, 'one login for two requests');
    assert.deepEqual(ran, [], 'nothing was sent under that session');
  });

  void it('a hostile or odd device: every odd answer of the login is a plain error, nothing hangs or burns CPU', LIMIT, async () => {
    const register = {
      dev_random: Buffer.alloc(32, 1).toString('base64'),
      dev_salt: Buffer.alloc(16, 2).toString('base64'),
      dev_share: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64'), // not on the curve
      cipher_suites: 1,
      iterations: 5000,
      encryption: 'aes_128_ccm',
    };
    const cases: Array<[string, Record<string, Record<string, unknown>>, string, RegExp]> = [
      ['no tpap block', { discover: { error_code: 0, result: { mac: MAC } } }, ErrorCode.PROTOCOL, /not in TPAP mode/],
      ['a billion PBKDF2 rounds', { register: { ...register, iterations: 1_000_000_000 } }, ErrorCode.PROTOCOL, /1000000000 PBKDF2 iterations, outside 1 to 100000/],
      ['a share off the curve', { register }, ErrorCode.PROTOCOL, /dev_share that is not a usable P-256 point/],
      ['another cipher suite', { register: { ...register, cipher_suites: 2 } }, ErrorCode.NOT_SUPPORTED, /cipher suite 2/],
      ['an unknown AEAD', { register: { ...register, encryption: 'aes_256_gcm' } }, ErrorCode.NOT_SUPPORTED, /session cipher "aes_256_gcm"/],
      ['an unknown password transform', { register: { ...register, extra_crypt: { type: 'password_shadow', params: { passwd_id: 5 } } } }, ErrorCode.NOT_SUPPORTED, /passwd_id 5/],
      ['no base64', { register: { ...register, dev_salt: '%%%' } }, ErrorCode.PROTOCOL, /without dev_random, dev_salt and dev_share in base64/],
    ];
    for (const [name, answers, code, words] of cases) {
      const shares: string[] = [];
      const rogue = http.createServer((req, res) => {
        let text = '';
        req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        req.on('end', () => {
          const step = (JSON.parse(text) as { params: { sub_method: string } }).params.sub_method;
          if (step === 'pake_share') shares.push(text);
          const answer =
            step === 'discover'
              ? (answers['discover'] ?? { error_code: 0, result: { mac: MAC, tpap: { tls: 0, dac: 0, pake: [2], port: 80 } } })
              : { error_code: 0, result: answers['register'] ?? register };
          res.end(JSON.stringify(answer));
        });
      });
      await new Promise<void>((resolve) => rogue.listen(0, '127.0.0.1', resolve));
      const transport = new TpapTransport({ host: '127.0.0.1', port: (rogue.address() as AddressInfo).port, ...OWNER });
      try {
        const started = Date.now();
        const err = await expectKasaError(transport.exchange(GET_INFO, TIMEOUT_MS, true));
        assert.equal(err.code, code, name);
        assert.match(err.message, words, name);
        assert.ok(Date.now() - started < 2000, `${name}: answered at once`);
        assert.deepEqual(shares, [], `${name}: no pake_share sent`);
      } finally {
        await transport.close();
        await new Promise((resolve) => rogue.close(resolve));
      }
    }
  });
});
