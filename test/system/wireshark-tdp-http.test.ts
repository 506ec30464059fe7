import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { DecodedMessage } from '../../src/capture/decoder';
import { encodeTdpPacket } from '../../src/discovery/tdp';

/*
 * TDP discovery (UDP 20002) and KLAP/AES over HTTP (port 80) in captures made with text2pcap, read
 * by the Lua dissector in a real tshark and by tplink-decode: the header fields and CRC check of
 * TDP, and each HTTP step labelled, its encrypted body said to need the session.
 */

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..', '..');
const LUA_SCRIPT = path.join(ROOT, 'wireshark', 'tplink-smarthome.lua');
const DECODE_BIN = path.join(ROOT, 'dist', 'bin', 'tplink-decode.js');
const ENSURE_TSHARK = path.join(ROOT, 'scripts', 'ensure-tshark.sh');
const COMMAND_TIMEOUT_MS = 8000;
const TDP_QUERY_KEY = '-----BEGIN PUBLIC KEY-----\nTEST\n-----END PUBLIC KEY-----\n';

let workDir = '';
let captures = 0;

before(async () => {
  await execFileAsync('sh', [ENSURE_TSHARK], { timeout: 300_000 });
  workDir = await mkdtemp(path.join(tmpdir(), 'kasa-wireshark-tdp-'));
});
after(async () => {
  if (workDir !== '') await rm(workDir, { recursive: true, force: true });
});

/** '<' packets go client -> device, '>' device -> client, as text2pcap writes them. */
async function text2pcap(packets: ReadonlyArray<['<' | '>', Buffer]>, transport: 'tcp' | 'udp', ports: string): Promise<string> {
  const name = `capture-${++captures}`;
  const text = packets.map(([dir, bytes], i) => `${dir} 10:00:00.${String(i * 1000).padStart(6, '0')} ${bytes.toString('hex')}`).join('\n');
  const textFile = path.join(workDir, `${name}.txt`);
  const captureFile = path.join(workDir, `${name}.pcapng`);
  await writeFile(textFile, `${text}\n`);
  await execFileAsync(
    'text2pcap',
    ['-q', '-r', '^(?<dir>[<>])\\s(?<time>\\d+:\\d\\d:\\d\\d.\\d+)\\s(?<data>[0-9a-fA-F]+)$', '-t', '%H:%M:%S.%f', '-4', '10.0.0.1,10.0.0.2', transport === 'tcp' ? '-T' : '-u', ports, textFile, captureFile],
    { timeout: COMMAND_TIMEOUT_MS },
  );
  return captureFile;
}

/** tshark's fields per frame (tab-separated, several values joined by '|'); fails on any Lua problem. */
async function tshark(capture: string, fields: readonly string[]): Promise<string[][]> {
  const args = ['-n', '-X', `lua_script:${LUA_SCRIPT}`, '-r', capture, '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=|', '-e', '_ws.expert.message'];
  const { stdout, stderr } = await execFileAsync('tshark', [...args, ...fields.flatMap((f) => ['-e', f])], { timeout: COMMAND_TIMEOUT_MS });
  const rows = stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
  const problems = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('Running as user'))
    .concat(rows.map((row) => row[0] ?? '').filter((expert) => /lua/i.test(expert)));
  assert.deepEqual(problems, [], 'no Lua problems');
  return rows;
}

async function decode(capture: string, ...options: string[]): Promise<DecodedMessage[]> {
  const { stdout } = await execFileAsync(process.execPath, [DECODE_BIN, capture, ...options], { timeout: COMMAND_TIMEOUT_MS });
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as DecodedMessage);
}

function http(head: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${head}\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
}
const post = (pathname: string, body: Buffer) => http(`POST ${pathname} HTTP/1.1\r\nHost: 10.0.0.2\r\nContent-Type: application/json`, body);
const ok = (body: Buffer, cookie = false) => http(`HTTP/1.1 200 OK${cookie ? '\r\nSet-Cookie: TP_SESSIONID=0A1B2C;TIMEOUT=1440' : ''}`, body);
const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

describe('TDP and KLAP/AES over HTTP in tshark and tplink-decode', () => {
  void it('TDP on 20002: header fields, the CRC checked (the worked example matches, a changed byte does not), the JSON', async () => {
    const query = encodeTdpPacket(json({ params: { rsa_key: TDP_QUERY_KEY } }), { serial: 0x01020304 });
    assert.equal(query.subarray(0, 16).toString('hex'), '0200000100551100010203042538326a', 'the worked example of the facts');
    const reply = encodeTdpPacket(
      json({ error_code: 0, result: { device_type: 'SMART.TAPOPLUG', device_model: 'P110(EU)', mgt_encrypt_schm: { encrypt_type: 'AES', http_port: 80, lv: 2 } } }),
      { serial: 0x01020304, flags: 0 },
    );
    const damaged = Buffer.from(reply);
    damaged[30] ^= 0x01;
    const capture = await text2pcap(
      [
        ['<', query],
        ['>', reply],
        ['>', damaged],
      ],
      'udp',
      '40000,20002',
    );

    const rows = await tshark(capture, ['_ws.col.Protocol', 'tplink_tdp.direction', 'tplink_tdp.version', 'tplink_tdp.op_code', 'tplink_tdp.msg_size', 'tplink_tdp.flags', 'tplink_tdp.serial', 'tplink_tdp.crc', 'tplink_tdp.crc_ok', 'json.key']);
    assert.deepEqual(
      rows.map((r) => r.slice(1, 10)),
      [
        ['TDP', 'request', '2', '0x0001', '85', '0x11', '0x01020304', '0x2538326a', '1'],
        ['TDP', 'reply', '2', '0x0001', String(reply.length - 16), '0x00', '0x01020304', `0x${reply.readUInt32BE(12).toString(16).padStart(8, '0')}`, '1'],
        ['TDP', 'reply', '2', '0x0001', String(reply.length - 16), '0x00', '0x01020304', `0x${reply.readUInt32BE(12).toString(16).padStart(8, '0')}`, '0'],
      ],
    );
    assert.match(rows[0]![10]!, /rsa_key/);
    assert.match(rows[1]![10]!, /device_model.*encrypt_type|encrypt_type.*device_model/);
    assert.match(rows[2]![0]!, /The CRC does not match the packet/);

    const messages = await decode(capture);
    assert.deepEqual(
      messages.map((m) => [m.protocol, m.direction, m.crcOk, m.tdpHeader?.serial, m.tdpHeader?.msgSize]),
      [
        ['tdp', 'request', true, 0x01020304, 85],
        ['tdp', 'reply', true, 0x01020304, reply.length - 16],
        ['tdp', 'reply', false, 0x01020304, reply.length - 16],
      ],
    );
    assert.deepEqual(messages[0]!.payload, { params: { rsa_key: TDP_QUERY_KEY } });
    assert.equal((messages[1]!.payload as { result: { device_model: string } }).result.device_model, 'P110(EU)');
  });

  void it('KLAP on port 80: handshake1, handshake2 and request?seq=N labelled both ways, the payload said to be encrypted', async () => {
    const capture = await text2pcap(
      [
        ['<', post('/app/handshake1', Buffer.alloc(16, 1))],
        ['>', ok(Buffer.alloc(48, 2), true)],
        ['<', post('/app/handshake2', Buffer.alloc(32, 3))],
        ['>', ok(Buffer.alloc(0))],
        ['<', post('/app/request?seq=-903964343', Buffer.alloc(64, 4))],
        ['>', ok(Buffer.alloc(80, 5))],
      ],
      'tcp',
      '40001,80',
    );
    const expected = [
      ['klap', 'handshake1', '', 'request'],
      ['klap', 'handshake1', '', 'reply'],
      ['klap', 'handshake2', '', 'request'],
      ['klap', 'handshake2', '', 'reply'],
      ['klap', 'request', '-903964343', 'request'],
      ['klap', 'request', '-903964343', 'reply'],
    ];
    const rows = await tshark(capture, ['tplink_http.protocol', 'tplink_http.step', 'tplink_http.seq', 'tplink_http.direction', 'tplink_http.note']);
    assert.deepEqual(
      rows.map((r) => r.slice(1, 5)),
      expected,
    );
    assert.match(rows[4]![5]!, /encrypted per session: cannot be decoded without the session keys/);

    const messages = await decode(capture);
    assert.deepEqual(
      messages.map((m) => [m.protocol, m.step, m.seq === undefined ? '' : String(m.seq), m.direction]),
      expected,
    );
    assert.equal(messages[0]!.bodyHex, '01'.repeat(16));
    assert.match(messages[5]!.note!, /encrypted per session: cannot be decoded without the session keys/);
    assert.equal(messages[5]!.payload, null);
  });

  void it('KLAP on another port (a simulator, a port mapping): labelled with --http-port, plain TCP without', async () => {
    const capture = await text2pcap(
      [
        ['<', post('/app/handshake1', Buffer.alloc(16, 1))],
        ['>', ok(Buffer.alloc(48, 2), true)],
      ],
      'tcp',
      '40002,8171',
    );
    assert.deepEqual(await decode(capture), [], 'port 8171 is no KLAP port unless told');
    const messages = await decode(capture, '--http-port', '8171');
    assert.deepEqual(
      messages.map((m) => [m.protocol, m.step, m.direction]),
      [
        ['klap', 'handshake1', 'request'],
        ['klap', 'handshake1', 'reply'],
      ],
    );
  });

  void it('AES on port 80: handshake and securePassthrough (login_device and requests inside) labelled, the JSON shown', async () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC\n-----END PUBLIC KEY-----\n';
    const capture = await text2pcap(
      [
        ['<', post('/app', json({ method: 'handshake', params: { key: pem } }))],
        ['>', ok(json({ error_code: 0, result: { key: 'c2Vzc2lvbiBrZXk=' } }), true)],
        ['<', post('/app', json({ method: 'securePassthrough', params: { request: 'bG9naW4=' } }))],
        ['>', ok(json({ error_code: 0, result: { response: 'dG9rZW4=' } }))],
        ['<', post('/app?token=ABCDEF', json({ method: 'securePassthrough', params: { request: 'aW5mbw==' } }))],
        ['>', ok(json({ error_code: 0, result: { response: 'cmVwbHk=' } }))],
      ],
      'tcp',
      '40002,80',
    );
    const expected = [
      ['aes', 'handshake', 'request'],
      ['aes', 'handshake', 'reply'],
      ['aes', 'securePassthrough', 'request'],
      ['aes', 'securePassthrough', 'reply'],
      ['aes', 'securePassthrough', 'request'],
      ['aes', 'securePassthrough', 'reply'],
    ];
    const rows = await tshark(capture, ['tplink_http.protocol', 'tplink_http.step', 'tplink_http.direction', 'tplink_http.note', 'json.key']);
    assert.deepEqual(
      rows.map((r) => r.slice(1, 4)),
      expected,
    );
    assert.match(rows[2]![4]!, /login_device.*encrypted per session/);
    assert.match(rows[0]![5]!, /method/, 'the JSON goes to Wireshark’s own dissector');

    const messages = await decode(capture);
    assert.deepEqual(
      messages.map((m) => [m.protocol, m.step, m.direction]),
      expected,
    );
    assert.deepEqual(messages[0]!.payload, { method: 'handshake', params: { key: pem } });
    assert.equal(messages[4]!.http?.path, '/app?token=ABCDEF');
    assert.match(messages[5]!.note!, /encrypted per session/);
  });

  void it('short or inconsistent TDP and other HTTP on port 80: expert infos and plain labels, never a Lua error', async () => {
    const good = encodeTdpPacket(json({ params: {} }), { serial: 7 });
    const wrongSize = Buffer.from(good);
    wrongSize.writeUInt16BE(999, 4);
    const udpCapture = await text2pcap(
      [
        ['<', Buffer.from('0200', 'hex')],
        ['<', wrongSize],
      ],
      'udp',
      '40003,20002',
    );
    const rows = await tshark(udpCapture, ['tplink_tdp.direction', 'tplink_tdp.crc_ok']);
    assert.match(rows[0]![0]!, /Shorter than the 16-byte TDP header/);
    assert.match(rows[1]![0]!, /payload size differs/);
    const messages = await decode(udpCapture);
    assert.match(messages[0]!.error!, /16-byte header; this one has 2 bytes/);
    assert.match(messages[1]!.error!, /says 999 payload bytes/);
    assert.equal(messages[1]!.crcOk, false, 'the size was changed after the CRC');

    const httpCapture = await text2pcap(
      [
        ['<', http('GET /index.html HTTP/1.1\r\nHost: 10.0.0.2', Buffer.alloc(0))],
        ['>', ok(Buffer.from('<html></html>'))],
      ],
      'tcp',
      '40004,80',
    );
    const httpRows = await tshark(httpCapture, ['tplink_http.protocol', 'tplink_http.step']);
    assert.deepEqual(
      httpRows.map((r) => r.slice(1)),
      [
        ['', ''],
        ['', ''],
      ],
      'not a TP-Link exchange: not labelled',
    );
    assert.deepEqual(
      (await decode(httpCapture)).map((m) => [m.protocol, m.step, m.payload]),
      [
        ['http', 'GET /index.html', null],
        ['http', 'GET /index.html', '<html></html>'],
      ],
    );
  });
});
