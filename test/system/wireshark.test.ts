import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { decodeCapture } from '../../src/capture/decoder';
import type { DecodedMessage } from '../../src/capture/decoder';
import { KasaClient } from '../../src/family/iot/client';
import { SimulatedDevice } from '../../src/simulator';
import { TddpCode, TddpType, buildTddpPacket, deriveTddpKey } from '../../src/tddp';
import { formatAddress } from '../../src/transport/transport';
import { encodeDatagram, encodeTcpFrame } from '../../src/transport/xor-cipher';

/*
 * The Lua dissector run by a real tshark on captures made with text2pcap (and one captured live on
 * loopback), and the same captures through tplink-decode: both must find the same messages.
 */

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..', '..');
const LUA_SCRIPT = path.join(ROOT, 'wireshark', 'tplink-smarthome.lua');
const DECODE_BIN = path.join(ROOT, 'dist', 'bin', 'tplink-decode.js');
const ENSURE_TSHARK = path.join(ROOT, 'scripts', 'ensure-tshark.sh');
const AGGREGATOR = '\u001f';
const COMMAND_TIMEOUT_MS = 8000;

let workDir = '';

before(async () => {
  // Installs tshark on a fresh Debian machine (as root, no prompt); a no-op when it is there.
  await execFileAsync('sh', [ENSURE_TSHARK], { timeout: 300_000 });
  workDir = await mkdtemp(path.join(tmpdir(), 'kasa-wireshark-'));
});

after(async () => {
  if (workDir !== '') await rm(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Captures from hex: text2pcap writes '<' (inbound) packets with the -T/-u ports and -4/-6
// addresses as given (client -> device here) and '>' (outbound) packets with them swapped.

interface WirePacket {
  from: 'client' | 'device';
  bytes: Buffer;
}

interface Endpoint {
  ip: string;
  port: number;
}

let captureCount = 0;

async function text2pcap(
  packets: readonly WirePacket[],
  transport: 'tcp' | 'udp',
  client: Endpoint,
  device: Endpoint,
  firstSecond = 0,
): Promise<string> {
  const name = `capture-${++captureCount}`;
  const lines = packets.map((packet, index) => {
    const micro = String(index * 1000).padStart(6, '0');
    return `${packet.from === 'client' ? '<' : '>'} 10:00:${String(firstSecond).padStart(2, '0')}.${micro} ${packet.bytes.toString('hex')}`;
  });
  const textFile = path.join(workDir, `${name}.txt`);
  const captureFile = path.join(workDir, `${name}.pcapng`);
  await writeFile(textFile, `${lines.join('\n')}\n`);
  const ipv6 = client.ip.includes(':');
  await execFileAsync(
    'text2pcap',
    [
      '-q',
      '-r',
      '^(?<dir>[<>])\\s(?<time>\\d+:\\d\\d:\\d\\d.\\d+)\\s(?<data>[0-9a-fA-F]+)$',
      '-t',
      '%H:%M:%S.%f',
      ipv6 ? '-6' : '-4',
      `${client.ip},${device.ip}`,
      transport === 'tcp' ? '-T' : '-u',
      `${client.port},${device.port}`,
      textFile,
      captureFile,
    ],
    { timeout: COMMAND_TIMEOUT_MS },
  );
  return captureFile;
}

async function mergecap(files: readonly string[]): Promise<string> {
  const merged = path.join(workDir, `merged-${++captureCount}.pcapng`);
  await execFileAsync('mergecap', ['-w', merged, ...files], { timeout: COMMAND_TIMEOUT_MS });
  return merged;
}

// ---------------------------------------------------------------------------------------------
// tshark with the dissector. Any Lua problem fails: tshark exits 0 on Lua errors, so stderr and
// the expert messages are inspected.

interface FrameFields {
  experts: string[];
  values: Record<string, string[]>;
}

function luaProblems(stderr: string, experts: readonly string[]): string[] {
  const problems = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('Running as user'));
  return problems.concat(experts.filter((message) => /lua/i.test(message)));
}

async function tsharkRaw(
  capture: string,
  fields: readonly string[],
  extra: readonly string[] = [],
  script = LUA_SCRIPT,
): Promise<{ stdout: string; stderr: string }> {
  const args = ['-n', '-X', `lua_script:${script}`, '-r', capture, ...extra, '-T', 'fields', '-E', 'separator=/t'];
  args.push('-E', `aggregator=${AGGREGATOR}`, '-e', '_ws.expert.message', ...fields.flatMap((field) => ['-e', field]));
  return await execFileAsync('tshark', args, { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
}

async function tshark(capture: string, fields: readonly string[], extra: readonly string[] = []): Promise<FrameFields[]> {
  const { stdout, stderr } = await tsharkRaw(capture, fields, extra);
  const lines = stdout.split('\n').filter((line) => line !== '');
  const frames = lines.map((line) => {
    const [expertColumn = '', ...columns] = line.split('\t');
    const values: Record<string, string[]> = {};
    fields.forEach((field, index) => {
      const column = columns[index] ?? '';
      values[field] = column === '' ? [] : column.split(AGGREGATOR);
    });
    return { experts: expertColumn === '' ? [] : expertColumn.split(AGGREGATOR), values };
  });
  const problems = luaProblems(stderr, frames.flatMap((frame) => frame.experts));
  assert.deepEqual(problems, [], `tshark reported problems with the Lua dissector:\n${problems.join('\n')}`);
  return frames;
}

/** Shows what tshark printed for the dissector's fields in the test log: the proof that it decrypts. */
function showProof(t: TestContext, frames: readonly FrameFields[]): void {
  frames.forEach((frame, index) => {
    const shown = Object.entries(frame.values)
      .filter(([field, values]) => values.length > 0 && !ADDRESS_FIELDS.includes(field))
      .map(([field, values]) => `${field}=${values.join(' | ')}`)
      .join('  ');
    if (shown !== '') t.diagnostic(`tshark frame ${index + 1}: ${shown.length > 400 ? `${shown.slice(0, 400)}...` : shown}`);
  });
}

/**
 * tshark prints control characters of string fields escaped ("\n"); the texts of these tests have
 * no backslash of their own, so undoing the escapes gives the decrypted text back.
 */
function unescapeTshark(text: string): string {
  return text.replace(/\\(?:x([0-9a-fA-F]{2})|([ntr]))/g, (_, hex: string | undefined, letter: string | undefined) =>
    hex !== undefined ? String.fromCharCode(parseInt(hex, 16)) : ({ n: '\n', t: '\t', r: '\r' } as Record<string, string>)[letter!]!,
  );
}

// ---------------------------------------------------------------------------------------------
// The same capture through tplink-decode (the compiled command-line tool).

async function runDecode(capture: string, args: readonly string[] = []): Promise<DecodedMessage[]> {
  const { stdout } = await execFileAsync(process.execPath, [DECODE_BIN, ...args, capture], { timeout: COMMAND_TIMEOUT_MS });
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as DecodedMessage);
}

const ADDRESS_FIELDS = ['ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.srcport', 'udp.srcport', 'tcp.dstport', 'udp.dstport'];

function addressesOf(frame: FrameFields): { src: string; dst: string } {
  const v = frame.values;
  const first = (...names: string[]): string => names.map((name) => v[name]?.[0]).find((value) => value !== undefined) ?? '';
  return {
    src: formatAddress(first('ip.src', 'ipv6.src'), Number(first('tcp.srcport', 'udp.srcport'))),
    dst: formatAddress(first('ip.dst', 'ipv6.dst'), Number(first('tcp.dstport', 'udp.dstport'))),
  };
}

interface ComparableMessage {
  src: string;
  dst: string;
  direction: string;
  payload: unknown;
}

/** Smart Home messages as the dissector shows them, in frame order. */
function smartHomeMessagesOf(frames: readonly FrameFields[]): ComparableMessage[] {
  return frames.flatMap((frame) => {
    const directions = frame.values['kasa.direction'] ?? [];
    const texts = frame.values['kasa.text'] ?? [];
    assert.equal(directions.length, texts.length, 'each Smart Home message has a direction and a text');
    return texts.map((text, index) => ({ ...addressesOf(frame), direction: directions[index]!, payload: JSON.parse(unescapeTshark(text)) as unknown }));
  });
}

function comparable(messages: readonly DecodedMessage[]): ComparableMessage[] {
  return messages.map(({ src, dst, direction, payload }) => ({ src, dst, direction, payload }));
}

// ---------------------------------------------------------------------------------------------

const SMARTHOME_FIELDS = [
  ...ADDRESS_FIELDS,
  'kasa.direction',
  'kasa.length',
  'kasa.module',
  'kasa.method',
  'kasa.err_code',
  'kasa.text',
  'json.key',
  'tplink_smarthome.len',
];

const client: Endpoint = { ip: '192.0.2.10', port: 40000 };
const device: Endpoint = { ip: '192.0.2.20', port: 9999 };

/**
 * A sysinfo reply of some 12 KiB, as real strips send. ASCII text always encrypts to bytes >= 0x80
 * (the key starts at 0xAB); the 3-byte dash in the alias flips that, so small cipher bytes follow.
 */
function bigSysinfoReply(variant: number): Record<string, unknown> {
  const children = Array.from({ length: 6 }, (_, index) => ({
    id: `8006${'0'.repeat(36)}0${index}`,
    state: index % 2,
    alias: `Outlet ${index} ${'x'.repeat(1900)}`,
    on_time: 0,
    next_action: { type: -1 },
  }));
  return { system: { get_sysinfo: { alias: `Küche – ${variant}`, relay_state: 1, child_num: 6, children, err_code: 0 } } };
}

const LUA54_HARNESS = String.raw`
local function norm(x) x = x & 0xffffffff; if x >= 0x80000000 then x = x - 0x100000000 end; return x end
local function fold(op) return function(a, ...) for _, b in ipairs({...}) do a = op(a, b) end return norm(a) end end
bit = {
  band = fold(function(a, b) return a & b end), bor = fold(function(a, b) return a | b end),
  bxor = fold(function(a, b) return a ~ b end), bnot = function(a) return norm(~a) end,
  lshift = function(a, n) return norm(a << n) end, rshift = function(a, n) return norm((a & 0xffffffff) >> n) end,
  rol = function(a, n) a = a & 0xffffffff; return norm((a << n) | (a >> (32 - n))) end,
  tobit = function(a) return norm(math.tointeger(a) or error("not a whole number: " .. tostring(a))) end,
}
local stub
stub = setmetatable({}, { __index = function() return stub end, __call = function() return stub end, __newindex = function() end })
for _, name in ipairs({ "Proto", "ProtoField", "ProtoExpert", "Pref", "base", "expert", "Dissector", "DissectorTable",
  "ByteArray", "dissect_tcp_pdus" }) do _G[name] = stub end
local source = io.open(arg[1]):read("a")
local m = assert(load(source .. "\nreturn { md5 = md5, des_ecb = des_ecb, xor_decrypt = xor_decrypt, summarise_json = summarise_json, strip_nuls = strip_nuls, printable = printable }"))()
local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
local function unhex(h) return (h:gsub("%x%x", function(p) return string.char(tonumber(p, 16)) end)) end
local des_key = unhex("133457799bbcdff1")
print("md5 " .. hex(m.md5("")) .. " " .. hex(m.md5("abc")))
print("key " .. hex(m.md5("adminadmin"):sub(1, 8)))
print("des " .. hex(m.des_ecb(unhex("0123456789abcdef"), des_key, false)) .. " " .. hex(m.des_ecb(unhex("85e813540f0ab405"), des_key, true)))
print("tddp " .. m.des_ecb(unhex("e4d21dea3ec1838c"), m.md5("adminadmin"):sub(1, 8), true))
print("text [" .. m.strip_nuls("ab\0c\0\0") .. "] [" .. m.printable("a\1b\200") .. "]")
print("xor " .. m.xor_decrypt(unhex("d0f281f88bff9af7d5ef94b6d1b4c09fec95e68fe187e8caf08bf68bf6")))
local s = m.summarise_json('{"context":{"child_ids":["a"]},"emeter":{"err_code":-1,"err_msg":"x"},"system":{"get_sysinfo":{"err_code":0}}}')
print("summary " .. table.concat(s.modules, ",") .. " " .. table.concat(s.methods, ",") .. " " .. table.concat(s.calls, ",") .. " " .. table.concat(s.err_codes, ","))
`;

void describe('Wireshark dissector (tshark + Lua) and tplink-decode', () => {
  void it('ensure-tshark.sh is a silent no-op when tshark is already installed', async () => {
    const { stdout, stderr } = await execFileAsync('sh', [ENSURE_TSHARK], { timeout: COMMAND_TIMEOUT_MS });
    assert.equal(stdout + stderr, '');
  });

  void it('decrypts Smart Home over TCP: a reply in three segments and two messages per segment', async (t) => {
    const sysinfoRequest = encodeTcpFrame('{"system":{"get_sysinfo":{}}}');
    // Bytes below 0x10 are the ones an unpadded hex conversion corrupts: the reply's ciphertext
    // must have some (the alias is varied until it does), and the pretty-printed request's plaintext
    // has newlines.
    const hasSmallBytes = (bytes: Buffer): boolean => bytes.some((byte) => byte < 0x10);
    let variant = 0;
    while (variant < 100 && !hasSmallBytes(encodeTcpFrame(JSON.stringify(bigSysinfoReply(variant))).subarray(4))) variant++;
    const sysinfo = bigSysinfoReply(variant);
    const reply = encodeTcpFrame(JSON.stringify(sysinfo));
    assert.ok(hasSmallBytes(reply.subarray(4)), 'the reply has cipher bytes below 0x10');
    const prettyRequest = JSON.stringify({ system: { set_relay_state: { state: 1 } } }, null, 2);
    const twoRequests = Buffer.concat([encodeTcpFrame(prettyRequest), encodeTcpFrame('{"emeter":{"get_realtime":{}}}')]);
    const twoReplies = Buffer.concat([
      encodeTcpFrame('{"system":{"set_relay_state":{"err_code":0}}}'),
      encodeTcpFrame('{"emeter":{"err_code":-1,"err_msg":"module not support"}}'),
    ]);
    const capture = await text2pcap(
      [
        { from: 'client', bytes: sysinfoRequest },
        { from: 'device', bytes: reply.subarray(0, 2) }, // split inside the length header
        { from: 'device', bytes: reply.subarray(2, 5000) },
        { from: 'device', bytes: reply.subarray(5000) },
        { from: 'client', bytes: twoRequests },
        { from: 'device', bytes: twoReplies },
      ],
      'tcp',
      client,
      device,
    );
    const frames = await tshark(capture, SMARTHOME_FIELDS);
    showProof(t, frames);
    assert.equal(frames.length, 6);
    const v = frames.map((frame) => frame.values);
    assert.deepEqual(v[0]!['kasa.direction'], ['request']);
    assert.deepEqual(v[0]!['kasa.method'], ['get_sysinfo']);
    assert.deepEqual(v[0]!['kasa.length'], ['29']);
    // The reply is reassembled in its last segment; the first two carry no message of their own.
    assert.deepEqual(v[1]!['kasa.text'], []);
    assert.deepEqual(v[2]!['kasa.text'], []);
    assert.deepEqual(v[3]!['kasa.direction'], ['reply']);
    assert.deepEqual(v[3]!['kasa.length'], [String(reply.length - 4)]);
    assert.deepEqual(JSON.parse(v[3]!['kasa.text']![0]!), sysinfo);
    assert.ok(v[3]!['json.key']!.includes('relay_state'), 'decrypted keys reach the JSON dissector');
    assert.ok(v[3]!['json.key']!.includes('children'));
    assert.deepEqual(v[4]!['kasa.length'], [String(Buffer.byteLength(prettyRequest)), '30']);
    assert.equal(unescapeTshark(v[4]!['kasa.text']![0]!), prettyRequest);
    assert.deepEqual(v[4]!['kasa.module'], ['system', 'emeter']);
    assert.deepEqual(v[4]!['kasa.method'], ['set_relay_state', 'get_realtime']);
    assert.deepEqual(v[5]!['kasa.direction'], ['reply', 'reply']);
    assert.deepEqual(v[5]!['kasa.err_code'], ['0', '-1']);
    assert.ok(frames[5]!.experts.includes('The device reported an error'));
    // The built-in two-field dissector is replaced on port 9999.
    assert.ok(v.every((values) => values['tplink_smarthome.len']!.length === 0));

    // Every decrypted key can be filtered on.
    const filtered = await tsharkRaw(capture, ['frame.number'], ['-Y', 'json.key == "relay_state" && kasa.direction == "reply"']);
    assert.deepEqual(
      filtered.stdout.split('\n').filter((line) => line !== '').map((line) => line.split('\t')[1]),
      ['4'],
    );

    const decoded = await runDecode(capture);
    assert.deepEqual(comparable(decoded), smartHomeMessagesOf(frames));
    assert.equal(decoded.length, 6);
    assert.ok(decoded.every((message) => message.protocol === 'smarthome' && message.transport === 'tcp'));
  });

  void it('decrypts UDP discovery over IPv6 (no length prefix)', async (t) => {
    const sysinfo = { system: { get_sysinfo: { alias: 'Desk', mac: '50:C7:BF:00:00:01', relay_state: 0, err_code: 0 } } };
    const capture = await text2pcap(
      [
        { from: 'client', bytes: encodeDatagram('{"system":{"get_sysinfo":{}}}') },
        { from: 'device', bytes: encodeDatagram(JSON.stringify(sysinfo)) },
      ],
      'udp',
      { ip: '2001:db8::10', port: 40001 },
      { ip: '2001:db8::20', port: 9999 },
    );
    const frames = await tshark(capture, SMARTHOME_FIELDS);
    showProof(t, frames);
    assert.deepEqual(
      frames.map((frame) => frame.values['kasa.direction']),
      [['request'], ['reply']],
    );
    assert.deepEqual(frames[0]!.values['kasa.length'], [], 'UDP has no length prefix');
    assert.deepEqual(JSON.parse(frames[1]!.values['kasa.text']![0]!), sysinfo);
    assert.ok(frames[1]!.values['json.key']!.includes('mac'));

    const decoded = await runDecode(capture);
    assert.deepEqual(comparable(decoded), smartHomeMessagesOf(frames));
    assert.equal(decoded[1]!.src, '[2001:db8::20]:9999');
    assert.ok(decoded.every((message) => message.transport === 'udp'));
  });

  void it('flags an absurd length header instead of waiting for it', async () => {
    const bogus = Buffer.concat([Buffer.from('ffffffff', 'hex'), Buffer.from('not kasa at all')]);
    const capture = await text2pcap([{ from: 'client', bytes: bogus }], 'tcp', client, device);
    const frames = await tshark(capture, SMARTHOME_FIELDS);
    assert.ok(frames[0]!.experts.some((message) => /exceeds the maximum/.test(message)));
    const { stdout, stderr } = await execFileAsync(process.execPath, [DECODE_BIN, capture], { timeout: COMMAND_TIMEOUT_MS });
    assert.equal(stdout, '');
    assert.match(stderr, /4294967295 bytes/);
  });

  const TDDP_FIELDS = [
    ...ADDRESS_FIELDS,
    'tddp.direction',
    'tddp.version',
    'tddp.type',
    'tddp.code',
    'tddp.status',
    'tddp.length',
    'tddp.id',
    'tddp.subtype',
    'tddp.plaintext',
    'tddp.digest_ok',
  ];

  interface ComparableTddp {
    src: string;
    dst: string;
    direction: string;
    header: Record<string, number>;
    text: string;
    digestOk: boolean | null;
  }

  function tddpOfFrames(frames: readonly FrameFields[]): ComparableTddp[] {
    return frames.map((frame) => {
      const v = frame.values;
      const number = (field: string): number => Number(v[field]![0]);
      const digest = v['tddp.digest_ok']![0];
      return {
        ...addressesOf(frame),
        direction: v['tddp.direction']![0]!,
        header: {
          version: number('tddp.version'),
          type: number('tddp.type'),
          code: number('tddp.code'),
          status: number('tddp.status'),
          length: number('tddp.length'),
          id: number('tddp.id'),
          subtype: number('tddp.subtype'),
        },
        text: v['tddp.plaintext']![0] ?? '',
        digestOk: digest === undefined ? null : /^(1|true)$/i.test(digest),
      };
    });
  }

  function tddpOfDecoded(messages: readonly DecodedMessage[]): ComparableTddp[] {
    return messages.map((message) => {
      assert.equal(message.protocol, 'tddp');
      return {
        src: message.src,
        dst: message.dst,
        direction: message.direction,
        header: { ...message.header! },
        text: typeof message.payload === 'string' ? message.payload : '',
        digestOk: message.digestOk ?? null,
      };
    });
  }

  void it('decodes the TDDP vectors both ways (reply to 61000 and to the source port), v1 too', async (t) => {
    const hex = (text: string): Buffer => Buffer.from(text, 'hex');
    const toReplyPort = await text2pcap(
      [
        { from: 'client', bytes: hex('020301000000000000010a00b1522a579fd64dfd3756ec03f8747b1e') },
        { from: 'device', bytes: hex('020302000000000800010a00f29663dfabc6b8c1dc3ade3bce86495ee4d21dea3ec1838c') },
      ],
      'udp',
      { ip: '192.0.2.10', port: 61000 },
      { ip: '192.0.2.30', port: 1040 },
      1,
    );
    const toSourcePort = await text2pcap(
      [
        { from: 'client', bytes: hex('0203010000000008002a310063116dfc50ae95ddad8759b6c291f1fb3409e9ed291bbb96') },
        {
          from: 'device',
          bytes: buildTddpPacket({ type: TddpType.SPECIAL_COMMAND, code: TddpCode.REPLY, id: 0x2a, subtype: 0x31, data: 'world', key: deriveTddpKey('admin', 'admin') }),
        },
        { from: 'client', bytes: buildTddpPacket({ version: 1, type: TddpType.GET_CONFIG, id: 7, subtype: 0, data: 'plain v1' }) },
      ],
      'udp',
      { ip: '192.0.2.10', port: 50123 },
      { ip: '192.0.2.31', port: 1040 },
      2,
    );
    const capture = await mergecap([toReplyPort, toSourcePort]);
    const frames = await tshark(capture, TDDP_FIELDS);
    showProof(t, frames);
    const shown = tddpOfFrames(frames);
    assert.deepEqual(
      shown.map(({ direction, text, digestOk }) => ({ direction, text, digestOk })),
      [
        { direction: 'request', text: '', digestOk: true },
        { direction: 'reply', text: 'ABCD0110', digestOk: true },
        { direction: 'request', text: 'hello', digestOk: true },
        { direction: 'reply', text: 'world', digestOk: true },
        { direction: 'request', text: 'plain v1', digestOk: null },
      ],
    );
    assert.deepEqual(shown[1]!.header, { version: 2, type: 3, code: 2, status: 0, length: 8, id: 1, subtype: 0x0a });
    assert.equal(shown[3]!.dst, '192.0.2.10:50123');
    assert.equal(shown[4]!.header.version, 1);

    assert.deepEqual(tddpOfDecoded(await runDecode(capture)), shown);
  });

  void it('decrypts TDDP with the credentials set in the preferences (Lua MD5 + DES against Node crypto)', async (t) => {
    const key = deriveTddpKey('kasa-user', 's3cret!');
    // Data of every length from 1 to 40 bytes: one to five DES blocks, padding of every size.
    const texts = Array.from({ length: 40 }, (_, index) =>
      createHash('sha256').update(String(index)).digest('base64').repeat(2).slice(0, index + 1),
    );
    const capture = await text2pcap(
      texts.map((text, index) => ({
        from: 'device' as const,
        bytes: buildTddpPacket({ type: TddpType.SPECIAL_COMMAND, code: TddpCode.REPLY, id: index, subtype: 0x12, data: text, key }),
      })),
      'udp',
      { ip: '192.0.2.10', port: 61000 },
      { ip: '192.0.2.30', port: 1040 },
    );
    const frames = await tshark(capture, TDDP_FIELDS, ['-o', 'tddp.username:kasa-user', '-o', 'tddp.password:s3cret!']);
    showProof(t, frames.slice(0, 3));
    const shown = tddpOfFrames(frames);
    assert.deepEqual(
      shown.map((message) => message.text),
      texts,
    );
    assert.ok(shown.every((message) => message.digestOk === true));
    assert.deepEqual(tddpOfDecoded(await runDecode(capture, ['-u', 'kasa-user', '-p', 's3cret!'])), shown);

    // With the default admin/admin the digest does not match and the dissector says why.
    const wrong = await tshark(capture, TDDP_FIELDS);
    assert.ok(tddpOfFrames(wrong).every((message) => message.digestOk === false));
    assert.ok(wrong[0]!.experts.some((message) => /wrong username\/password/.test(message)));
  });

  void it('survives malformed packets with expert infos, never a Lua error', async (t) => {
    const hex = (text: string): Buffer => Buffer.from(text, 'hex');
    const tddp = await text2pcap(
      [
        { from: 'client', bytes: Buffer.concat([hex('0203010000000005000100'), Buffer.alloc(17), hex('0102030405')]) },
        { from: 'client', bytes: hex('0203010000000000000100000000000000000000') }, // 20 of 28 header bytes
        { from: 'device', bytes: Buffer.concat([hex('020302020000004000010a00'), Buffer.alloc(16), hex('e4d21dea3ec1838c')]) },
        { from: 'client', bytes: hex('01020100000000ff') }, // shorter than any header: not TDDP
      ],
      'udp',
      { ip: '192.0.2.10', port: 61000 },
      { ip: '192.0.2.30', port: 1040 },
      1,
    );
    const smartHomeUdp = await text2pcap(
      [
        { from: 'client', bytes: encodeDatagram('hello') },
        { from: 'device', bytes: encodeDatagram('{"a":') },
      ],
      'udp',
      { ip: '192.0.2.10', port: 40002 },
      device,
      2,
    );
    const smartHomeTcp = await text2pcap(
      [
        { from: 'client', bytes: hex('00000000') }, // an empty message
        { from: 'client', bytes: encodeTcpFrame('{"system":{"get_sysinfo":{}}}').subarray(0, 12) }, // cut by the end of the capture
      ],
      'tcp',
      client,
      device,
      3,
    );
    const capture = await mergecap([tddp, smartHomeUdp, smartHomeTcp]);
    const frames = await tshark(capture, ['tddp.status', 'tddp.plaintext', 'kasa.text', 'kasa.length']);
    showProof(t, frames);
    const experts = frames.map((frame) => frame.experts.join(' / '));
    assert.match(experts[0]!, /not a whole number of 8-byte blocks/);
    assert.match(experts[1]!, /shorter than the TDDP header/);
    assert.match(experts[2]!, /error status/);
    assert.deepEqual(frames[2]!.values['tddp.plaintext'], ['ABCD0110'], 'a length beyond the data decrypts what is there');
    assert.deepEqual(frames[3]!.values['tddp.status'], []);
    assert.match(experts[4]!, /not a JSON object/);
    assert.deepEqual(frames[4]!.values['kasa.text'], ['hello']);
    assert.deepEqual(frames[6]!.values['kasa.length'], ['0']);
    // tplink-decode reads the same capture without failing, and says what it could not decode.
    const decoded = await runDecode(capture);
    assert.deepEqual(
      decoded.map((message) => [message.protocol, message.payload]),
      [
        ['tddp', null],
        ['tddp', null],
        ['tddp', null], // src/tddp is strict where the dissector shows what is there
        ['smarthome', 'hello'],
        ['smarthome', '{"a":'],
        ['smarthome', ''],
      ],
    );
    assert.ok(decoded.slice(0, 3).every((message) => typeof message.error === 'string'));
  });

  void it('passes the DES known answer with a key given in hex', async () => {
    const packet = Buffer.concat([Buffer.from('0203010000000008002a3100', 'hex'), Buffer.alloc(16), Buffer.from('85e813540f0ab405', 'hex')]);
    const capture = await text2pcap([{ from: 'client', bytes: packet }], 'udp', { ip: '192.0.2.10', port: 61000 }, { ip: '192.0.2.30', port: 1040 });
    const { stdout, stderr } = await execFileAsync(
      'tshark',
      ['-n', '-X', `lua_script:${LUA_SCRIPT}`, '-o', 'tddp.key:133457799bbcdff1', '-r', capture, '-x'],
      { timeout: COMMAND_TIMEOUT_MS },
    );
    assert.deepEqual(luaProblems(stderr, []), []);
    assert.match(stdout, /Decrypted TDDP data \(8 bytes\):\n0000 {2}01 23 45 67 89 ab cd ef/);
  });

  void it('runs its MD5, DES, XOR and JSON scanning unchanged under Lua 5.4 (when lua5.4 is installed)', async (t) => {
    // Debian's tshark embeds Lua 5.2; Wireshark 4.4+ embeds 5.4, where integers and floats differ
    // and bit32 is gone. A plain Lua 5.4 with a stand-in for Wireshark's BitOp library (signed
    // 32-bit results) and inert stubs for the Wireshark API runs the script's pure functions.
    const lua = await execFileAsync('lua5.4', ['-v']).then(
      () => 'lua5.4',
      () => undefined,
    );
    if (lua === undefined) {
      t.skip('lua5.4 is not installed');
      return;
    }
    const harness = path.join(workDir, 'lua54-harness.lua');
    await writeFile(harness, LUA54_HARNESS);
    const { stdout } = await execFileAsync(lua, [harness, LUA_SCRIPT], { timeout: COMMAND_TIMEOUT_MS });
    assert.deepEqual(stdout.trim().split('\n'), [
      'md5 d41d8cd98f00b204e9800998ecf8427e 900150983cd24fb0d6963f7d28e17f72',
      'key f6fdffe48c908deb',
      'des 85e813540f0ab405 0123456789abcdef',
      'tddp ABCD0110',
      'text [ab\u0000c] [a.b.]',
      'xor {"system":{"get_sysinfo":{}}}',
      'summary emeter,system get_sysinfo emeter,system.get_sysinfo -1,0',
    ]);
  });

  void it('notices Lua errors although tshark exits 0 on them', async () => {
    const capture = await text2pcap([{ from: 'client', bytes: encodeTcpFrame('{}') }], 'tcp', client, device);
    const broken = path.join(workDir, 'broken.lua');
    await writeFile(broken, 'local p = Proto("brokenkasa", "broken")\nfunction p.dissector() error("boom") end\nDissectorTable.get("tcp.port"):add(9999, p)\n');
    const atRunTime = await tsharkRaw(capture, [], [], broken);
    const experts = atRunTime.stdout.split('\n').filter((line) => line !== '');
    assert.ok(luaProblems(atRunTime.stderr, experts).some((problem) => /boom/.test(problem)));
    await writeFile(broken, 'this is not Lua\n');
    const atLoad = await tsharkRaw(capture, [], [], broken);
    assert.ok(luaProblems(atLoad.stderr, []).length > 0);
  });

  void it('decodes a capture made live on loopback of a client talking to the simulator', async (t) => {
    const simulator = new SimulatedDevice({ model: 'hs110', alias: 'Captured live', udp: false });
    await simulator.start();
    const port = simulator.port;
    const dumpcap = spawn('dumpcap', ['-q', '-i', 'lo', '-f', `tcp port ${port}`, '-w', '-']);
    const exited = once(dumpcap, 'exit');
    const chunks: Buffer[] = [];
    try {
      const ready = await new Promise<boolean>((resolve) => {
        let stderr = '';
        const timer = setTimeout(() => resolve(false), 5000);
        dumpcap.stderr.on('data', (data: Buffer) => {
          stderr += data.toString();
          // dumpcap names its output once the interface is open and filtered: from then on it captures.
          if (stderr.includes('File:')) {
            clearTimeout(timer);
            resolve(true);
          }
        });
        dumpcap.on('error', () => {
          clearTimeout(timer);
          resolve(false);
        });
        dumpcap.on('exit', () => {
          clearTimeout(timer);
          resolve(false);
        });
      });
      if (!ready) {
        t.skip('capturing on loopback is not possible here (dumpcap could not start)');
        return;
      }
      // The capture is complete once tplink-decode finds the reply in what dumpcap wrote so far.
      const replyCaptured = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the reply did not appear in the live capture')), 5000);
        dumpcap.stdout.on('data', (data: Buffer) => {
          chunks.push(data);
          const { messages } = decodeCapture(Buffer.concat(chunks), { smartHomePorts: [port] });
          if (messages.some((message) => message.direction === 'reply')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const kasa = new KasaClient({ host: '127.0.0.1', port });
      try {
        await kasa.send({ system: { get_sysinfo: {} } });
      } finally {
        await kasa.close();
      }
      await replyCaptured;
    } finally {
      if (dumpcap.exitCode === null && dumpcap.signalCode === null) dumpcap.kill('SIGTERM');
      await exited;
      await simulator.stop();
    }
    const capture = path.join(workDir, 'live.pcapng');
    await writeFile(capture, Buffer.concat(chunks));
    const frames = await tshark(capture, SMARTHOME_FIELDS, ['-o', `kasa.port:${port}`, '-Y', 'kasa']);
    showProof(t, frames);
    const shown = smartHomeMessagesOf(frames);
    assert.deepEqual(
      shown.map((message) => message.direction),
      ['request', 'reply'],
    );
    const reply = shown[1]!.payload as { system: { get_sysinfo: { alias: string } } };
    assert.equal(reply.system.get_sysinfo.alias, 'Captured live');
    assert.deepEqual(comparable(await runDecode(capture, ['--port', String(port)])), shown);
  });
});
