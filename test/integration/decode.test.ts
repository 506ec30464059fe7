import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { readCapture } from '../../src/capture/capture-file';
import { runDecode } from '../../src/capture/decode-cli';
import { DecodedMessage, decodeCapture } from '../../src/capture/decoder';
import { LinkType } from '../../src/capture/link-layer';
import { CliIo } from '../../src/cli/io';
import { ErrorCode, KasaError } from '../../src/util/errors';
import { TddpCode, TddpType, buildTddpPacket, deriveTddpKey } from '../../src/tddp';
import { encodeDatagram, encodeTcpFrame } from '../../src/transport/xor-cipher';

/*
 * tplink-decode on captures written here byte by byte, so every file format, link type and TCP
 * misfortune (reordering, retransmission, loss, sequence wrap) can be produced on purpose.
 */

// ---------------------------------------------------------------------------------------------
// Packet builders (checksums are left at 0: the decoder does not check them).

const TCP_ACK_PSH = 0x18;
const TCP_SYN = 0x02;
const BASE_SECONDS = 1_714_564_800n; // 2024-05-01T12:00:00Z
const BASE_NS = BASE_SECONDS * 1_000_000_000n;

function ipv4(src: string, dst: string, protocol: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(20);
  header[0] = 0x45;
  header.writeUInt16BE(20 + payload.length, 2);
  header[8] = 64;
  header[9] = protocol;
  Buffer.from(src.split('.').map(Number)).copy(header, 12);
  Buffer.from(dst.split('.').map(Number)).copy(header, 16);
  return Buffer.concat([header, payload]);
}

/** IPv6 with addresses as 32 hex digits, optionally behind a hop-by-hop options header. */
function ipv6(src: string, dst: string, protocol: number, payload: Buffer, hopByHop = false): Buffer {
  const extension = hopByHop ? Buffer.from([protocol, 0, 1, 4, 0, 0, 0, 0]) : Buffer.alloc(0);
  const header = Buffer.alloc(40);
  header[0] = 0x60;
  header.writeUInt16BE(extension.length + payload.length, 4);
  header[6] = hopByHop ? 0 : protocol;
  header[7] = 64;
  Buffer.from(src, 'hex').copy(header, 8);
  Buffer.from(dst, 'hex').copy(header, 24);
  return Buffer.concat([header, extension, payload]);
}

function tcp(srcPort: number, dstPort: number, seq: number, payload: Buffer, flags = TCP_ACK_PSH): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(srcPort, 0);
  header.writeUInt16BE(dstPort, 2);
  header.writeUInt32BE(seq >>> 0, 4);
  header[12] = 5 << 4;
  header[13] = flags;
  header.writeUInt16BE(65535, 14);
  return Buffer.concat([header, payload]);
}

function udp(srcPort: number, dstPort: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(srcPort, 0);
  header.writeUInt16BE(dstPort, 2);
  header.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([header, payload]);
}

function etherType(ip: Buffer): number {
  return ip[0]! >> 4 === 6 ? 0x86dd : 0x0800;
}

function ethernet(ip: Buffer, vlan = false): Buffer {
  const macs = Buffer.from('020000000001020000000002', 'hex');
  const tag = vlan ? Buffer.from([0x81, 0x00, 0x00, 0x2a]) : Buffer.alloc(0);
  const type = Buffer.alloc(2);
  type.writeUInt16BE(etherType(ip));
  // Ethernet pads short frames to 60 bytes: the IP total length must trim it.
  const frame = Buffer.concat([macs, tag, type, ip]);
  return frame.length < 60 ? Buffer.concat([frame, Buffer.alloc(60 - frame.length)]) : frame;
}

function linuxCooked(ip: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt16BE(0, 0); // sent to us
  header.writeUInt16BE(1, 2); // ARPHRD_ETHER
  header.writeUInt16BE(6, 4);
  header.writeUInt16BE(etherType(ip), 14);
  return Buffer.concat([header, ip]);
}

function linuxCooked2(ip: Buffer): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(etherType(ip), 0);
  header.writeUInt32BE(1, 4); // interface index
  header.writeUInt16BE(1, 8);
  header[11] = 6;
  return Buffer.concat([header, ip]);
}

function nullLoopback(ip: Buffer, family: number, littleEndian: boolean): Buffer {
  const header = Buffer.alloc(4);
  if (littleEndian) header.writeUInt32LE(family);
  else header.writeUInt32BE(family);
  return Buffer.concat([header, ip]);
}

// ---------------------------------------------------------------------------------------------
// File writers.

interface PacketRecord {
  timestampNs: bigint;
  data: Buffer;
}

function pcapFile(records: readonly PacketRecord[], options: { littleEndian?: boolean; nano?: boolean; linkType?: number } = {}): Buffer {
  const littleEndian = options.littleEndian ?? true;
  const nano = options.nano ?? false;
  const u32 = (value: number | bigint): Buffer => {
    const out = Buffer.alloc(4);
    if (littleEndian) out.writeUInt32LE(Number(value));
    else out.writeUInt32BE(Number(value));
    return out;
  };
  const u16 = (value: number): Buffer => {
    const out = Buffer.alloc(2);
    if (littleEndian) out.writeUInt16LE(value);
    else out.writeUInt16BE(value);
    return out;
  };
  const parts = [u32(nano ? 0xa1b23c4d : 0xa1b2c3d4), u16(2), u16(4), u32(0), u32(0), u32(262144), u32(options.linkType ?? LinkType.ETHERNET)];
  for (const record of records) {
    const seconds = record.timestampNs / 1_000_000_000n;
    const fraction = nano ? record.timestampNs % 1_000_000_000n : (record.timestampNs % 1_000_000_000n) / 1000n;
    parts.push(u32(seconds), u32(fraction), u32(record.data.length), u32(record.data.length), record.data);
  }
  return Buffer.concat(parts);
}

class PcapngWriter {
  private readonly blocks: Buffer[] = [];

  constructor(private littleEndian = true) {}

  section(littleEndian: boolean): this {
    this.littleEndian = littleEndian;
    const body = Buffer.concat([this.u32(0x1a2b3c4d), this.u16(1), this.u16(0), Buffer.alloc(8, 0xff)]);
    return this.block(0x0a0d0d0a, body);
  }

  interface(linkType: number, tsresol?: number): this {
    const options =
      tsresol === undefined ? Buffer.alloc(0) : Buffer.concat([this.u16(9), this.u16(1), Buffer.from([tsresol, 0, 0, 0]), this.u32(0)]);
    return this.block(1, Buffer.concat([this.u16(linkType), this.u16(0), this.u32(0), options]));
  }

  enhanced(interfaceId: number, units: bigint, data: Buffer): this {
    const head = Buffer.concat([this.u32(interfaceId), this.u32(Number(units >> 32n)), this.u32(Number(units & 0xffffffffn)), this.u32(data.length), this.u32(data.length)]);
    return this.block(6, Buffer.concat([head, this.padded(data)]));
  }

  simple(data: Buffer): this {
    return this.block(3, Buffer.concat([this.u32(data.length), this.padded(data)]));
  }

  /** A block of a type that carries no packet (a custom block), to be skipped. */
  other(): this {
    return this.block(0x00000bad, Buffer.alloc(8, 1));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.blocks);
  }

  private block(type: number, body: Buffer): this {
    const total = 12 + body.length;
    this.blocks.push(Buffer.concat([this.u32(type), this.u32(total), body, this.u32(total)]));
    return this;
  }

  private padded(data: Buffer): Buffer {
    return Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
  }

  private u32(value: number): Buffer {
    const out = Buffer.alloc(4);
    if (this.littleEndian) out.writeUInt32LE(value >>> 0);
    else out.writeUInt32BE(value >>> 0);
    return out;
  }

  private u16(value: number): Buffer {
    const out = Buffer.alloc(2);
    if (this.littleEndian) out.writeUInt16LE(value);
    else out.writeUInt16BE(value);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// A conversation: the client 10.0.0.2:40000 asks the plug 10.0.0.1:9999.

const CLIENT = '10.0.0.2';
const DEVICE = '10.0.0.1';
const REQUEST = { system: { get_sysinfo: {} } };
const REPLY = { system: { get_sysinfo: { alias: 'Wohnzimmer – Lampe', relay_state: 1, err_code: 0 } } };

function tcpPacket(from: 'client' | 'device', seq: number, payload: Buffer, flags = TCP_ACK_PSH): Buffer {
  return from === 'client'
    ? ipv4(CLIENT, DEVICE, 6, tcp(40000, 9999, seq, payload, flags))
    : ipv4(DEVICE, CLIENT, 6, tcp(9999, 40000, seq, payload, flags));
}

/** Request and reply, the reply in two segments. */
function simpleExchange(wrap: (ip: Buffer) => Buffer = ethernet): PacketRecord[] {
  const request = encodeTcpFrame(JSON.stringify(REQUEST));
  const reply = encodeTcpFrame(JSON.stringify(REPLY));
  return [
    { timestampNs: BASE_NS + 123_456_789n, data: wrap(tcpPacket('client', 1000, request)) },
    { timestampNs: BASE_NS + 200_000_000n, data: wrap(tcpPacket('device', 5000, reply.subarray(0, 10))) },
    { timestampNs: BASE_NS + 300_000_000n, data: wrap(tcpPacket('device', 5010, reply.subarray(10))) },
  ];
}

function assertSimpleExchange(messages: readonly DecodedMessage[]): void {
  assert.deepEqual(
    messages.map(({ src, dst, protocol, transport, direction, payload }) => ({ src, dst, protocol, transport, direction, payload })),
    [
      { src: '10.0.0.2:40000', dst: '10.0.0.1:9999', protocol: 'smarthome', transport: 'tcp', direction: 'request', payload: REQUEST },
      { src: '10.0.0.1:9999', dst: '10.0.0.2:40000', protocol: 'smarthome', transport: 'tcp', direction: 'reply', payload: REPLY },
    ],
  );
}

/** A deterministic shuffle (the tests must fail or pass the same way every time). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

void describe('capture files', () => {
  void it('reads pcap in both byte orders, with micro- and nanosecond timestamps', () => {
    for (const littleEndian of [true, false]) {
      for (const nano of [false, true]) {
        const { messages, warnings, format } = decodeCapture(pcapFile(simpleExchange(), { littleEndian, nano }));
        assert.equal(format, 'pcap');
        assert.deepEqual(warnings, []);
        assertSimpleExchange(messages);
        assert.equal(messages[0]!.time, '2024-05-01T12:00:00.123456Z');
        assert.equal(messages[1]!.time, '2024-05-01T12:00:00.300000Z', 'a reply is dated by its last segment');
      }
    }
  });

  void it('reads pcapng: sections in both byte orders, several interfaces, resolutions, EPB and SPB', () => {
    const [request, replyStart, replyEnd] = simpleExchange((ip) => ip);
    const discovery = encodeDatagram('{"system":{"get_sysinfo":{}}}');
    const file = new PcapngWriter()
      .section(true)
      .interface(LinkType.ETHERNET) // microseconds (default)
      .interface(LinkType.RAW, 9) // nanoseconds
      .other()
      .enhanced(1, request!.timestampNs, request!.data)
      .enhanced(0, replyStart!.timestampNs / 1000n, ethernet(replyStart!.data))
      .enhanced(1, replyEnd!.timestampNs, replyEnd!.data)
      .section(false)
      .interface(LinkType.LINUX_SLL2, 3) // milliseconds
      .enhanced(0, (BASE_NS + 400_000_000n) / 1_000_000n, linuxCooked2(ipv4(CLIENT, '10.0.0.255', 17, udp(40001, 9999, discovery))))
      // A simple packet block has no timestamp: it takes the previous packet's.
      .simple(linuxCooked2(ipv4(CLIENT, '10.0.0.255', 17, udp(40002, 9999, discovery))))
      .toBuffer();
    const { messages, warnings, format } = decodeCapture(file);
    assert.equal(format, 'pcapng');
    assert.deepEqual(warnings, []);
    assertSimpleExchange(messages.slice(0, 2));
    assert.equal(messages[0]!.time, '2024-05-01T12:00:00.123456Z');
    assert.deepEqual(
      messages.slice(2).map(({ src, transport, time }) => ({ src, transport, time })),
      [
        { src: '10.0.0.2:40001', transport: 'udp', time: '2024-05-01T12:00:00.400000Z' },
        { src: '10.0.0.2:40002', transport: 'udp', time: '2024-05-01T12:00:00.400000Z' },
      ],
    );
  });

  void it('handles Ethernet with a VLAN tag, Linux cooked v1 and v2, raw IP and null/loopback', () => {
    const wraps: Array<[string, number, (ip: Buffer) => Buffer]> = [
      ['VLAN', LinkType.ETHERNET, (ip) => ethernet(ip, true)],
      ['SLL', LinkType.LINUX_SLL, linuxCooked],
      ['SLL2', LinkType.LINUX_SLL2, linuxCooked2],
      ['raw', LinkType.RAW, (ip) => ip],
      ['raw IPv4', LinkType.IPV4, (ip) => ip],
      ['null, little-endian', LinkType.NULL, (ip) => nullLoopback(ip, 2, true)],
      ['loop, big-endian', LinkType.LOOP, (ip) => nullLoopback(ip, 2, false)],
    ];
    for (const [name, linkType, wrap] of wraps) {
      const { messages } = decodeCapture(pcapFile(simpleExchange(wrap), { linkType }));
      assert.equal(messages.length, 2, name);
      assertSimpleExchange(messages);
    }
    // An unknown link type decodes nothing, and says nothing wrong.
    assert.deepEqual(decodeCapture(pcapFile(simpleExchange(), { linkType: 147 })).messages, []);
  });

  void it('reads IPv6, extension headers included, and writes its addresses in their short form', () => {
    const client6 = '20010db8000000000000000000000002';
    const device6 = '20010db8000000000000000000000001';
    const request = encodeTcpFrame(JSON.stringify(REQUEST));
    const records = [
      { timestampNs: BASE_NS, data: nullLoopback(ipv6(client6, device6, 6, tcp(40000, 9999, 1, request), true), 30, true) },
      { timestampNs: BASE_NS + 1n, data: nullLoopback(ipv6(device6, client6, 17, udp(9999, 40000, encodeDatagram('{"a":1}'))), 30, true) },
    ];
    const { messages } = decodeCapture(pcapFile(records, { linkType: LinkType.NULL }));
    assert.deepEqual(
      messages.map(({ src, dst, direction, payload }) => ({ src, dst, direction, payload })),
      [
        { src: '[2001:db8::2]:40000', dst: '[2001:db8::1]:9999', direction: 'request', payload: REQUEST },
        { src: '[2001:db8::1]:9999', dst: '[2001:db8::2]:40000', direction: 'reply', payload: { a: 1 } },
      ],
    );
  });

  void it('reports a file cut short with the packets before the cut', () => {
    const whole = pcapFile(simpleExchange());
    const { messages, warnings } = decodeCapture(whole.subarray(0, whole.length - 5));
    assert.equal(messages.length, 1);
    assert.equal(messages[0]!.direction, 'request');
    assert.match(warnings.join('\n'), /cut short after 2 packets/);
    const pcapng = new PcapngWriter().section(true).interface(LinkType.RAW).enhanced(0, 1n, simpleExchange((ip) => ip)[0]!.data).toBuffer();
    const partial = decodeCapture(pcapng.subarray(0, pcapng.length - 3));
    assert.deepEqual(partial.messages, []);
    assert.match(partial.warnings.join('\n'), /cut short/);
  });

  void it('refuses what is not a capture with BAD_INPUT and a reason', () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from('{"system":{}}'), Buffer.from('d4c3b2a1', 'hex')]) {
      assert.throws(
        () => readCapture(bytes),
        (err: unknown) => err instanceof KasaError && err.code === ErrorCode.BAD_INPUT && /The capture cannot be read: /.test(err.message),
      );
    }
  });
});

void describe('TCP reassembly', () => {
  /** Three requests, then a large reply, cut into uneven segments. */
  function stream(): { requests: Buffer; reply: Buffer; texts: string[] } {
    const texts = [
      '{"system":{"set_relay_state":{"state":1}}}',
      '{"system":{"set_led_off":{"off":0}}}',
      JSON.stringify({ emeter: { get_daystat: { month: 5, year: 2024 } } }),
      JSON.stringify({ system: { get_sysinfo: { alias: 'x'.repeat(3000), err_code: 0 } } }),
    ];
    return {
      requests: Buffer.concat(texts.slice(0, 3).map((text) => encodeTcpFrame(text))),
      reply: encodeTcpFrame(texts[3]!),
      texts,
    };
  }

  function segments(from: 'client' | 'device', firstSeq: number, bytes: Buffer, sizes: readonly number[]): Array<{ seq: number; data: Buffer }> {
    const out: Array<{ seq: number; data: Buffer }> = [];
    let offset = 0;
    let index = 0;
    while (offset < bytes.length) {
      const size = sizes[index++ % sizes.length]!;
      const part = bytes.subarray(offset, offset + size);
      out.push({ seq: (firstSeq + offset) >>> 0, data: tcpPacket(from, (firstSeq + offset) >>> 0, part) });
      offset += part.length;
    }
    return out;
  }

  void it('puts reordered, retransmitted and overlapping segments back in order, across the sequence wrap', () => {
    const { requests, reply, texts } = stream();
    const clientIsn = 0xffffffff - 20; // the sequence numbers wrap inside the first request
    const deviceIsn = 0xfffffff0; // and inside the reply
    const syn = tcpPacket('client', clientIsn, Buffer.alloc(0), TCP_SYN);
    const synAck = tcpPacket('device', deviceIsn, Buffer.alloc(0), TCP_SYN | 0x10);
    const clientSegments = segments('client', (clientIsn + 1) >>> 0, requests, [7, 30, 2, 50]);
    const replySegments = segments('device', (deviceIsn + 1) >>> 0, reply, [400, 3, 900, 1500]);
    // The client's segments arrive shuffled and some twice; one segment overlaps two others.
    const overlap = tcpPacket('client', (clientIsn + 1 + 20) >>> 0, requests.subarray(20, 60));
    const clientOrder = shuffled([...clientSegments, clientSegments[1]!, clientSegments[3]!], 7).map((segment) => segment.data);
    const packets = [syn, synAck, overlap, ...clientOrder, ...shuffled(replySegments, 3).map((segment) => segment.data), replySegments[0]!.data];
    const records = packets.map((data, index) => ({ timestampNs: BASE_NS + BigInt(index) * 1000n, data }));
    const { messages, warnings } = decodeCapture(pcapFile(records, { linkType: LinkType.RAW }));
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      messages.map((message) => message.payload),
      texts.map((text) => JSON.parse(text) as unknown),
    );
    assert.deepEqual(
      messages.map((message) => message.direction),
      ['request', 'request', 'request', 'reply'],
    );
  });

  void it('skips a segment the capture lost, with a warning, and decodes what follows', () => {
    const frames = ['{"a":1}', '{"b":2}', '{"c":3}'].map((text) => encodeTcpFrame(text));
    let seq = 100;
    const packets = frames.map((frame) => {
      const packet = tcpPacket('client', seq, frame);
      seq += frame.length;
      return packet;
    });
    const records = [packets[0]!, packets[2]!].map((data, index) => ({ timestampNs: BASE_NS + BigInt(index), data }));
    const { messages, warnings } = decodeCapture(pcapFile(records, { linkType: LinkType.RAW }));
    assert.deepEqual(
      messages.map((message) => message.payload),
      [{ a: 1 }, { c: 3 }],
    );
    assert.match(warnings.join('\n'), new RegExp(`${frames[1]!.length} bytes are missing`));
  });

  void it('starts over when a new SYN reuses the address pair, and reports a message cut by the end', () => {
    const first = encodeTcpFrame('{"first":1}');
    const second = encodeTcpFrame('{"second":2}');
    const packets = [
      tcpPacket('client', 10, Buffer.alloc(0), TCP_SYN),
      tcpPacket('client', 11, first.subarray(0, 6)), // the first connection ends mid-message
      tcpPacket('client', 90000, Buffer.alloc(0), TCP_SYN),
      tcpPacket('client', 90001, second),
      tcpPacket('device', 500, encodeTcpFrame('{"unfinished":1}').subarray(0, 9)),
    ];
    const records = packets.map((data, index) => ({ timestampNs: BASE_NS + BigInt(index), data }));
    const { messages, warnings } = decodeCapture(pcapFile(records, { linkType: LinkType.RAW }));
    assert.deepEqual(
      messages.map((message) => message.payload),
      [{ second: 2 }],
    );
    // The first connection's fragment was dropped by the SYN; the device's is reported at the end.
    assert.deepEqual(warnings, ['10.0.0.1:9999 -> 10.0.0.2:40000: the capture ends inside a message (9 bytes of it).']);
  });

  void it('gives up on a stream whose length header is absurd, and only on that one', () => {
    const bogus = Buffer.concat([Buffer.from('7fffffff', 'hex'), Buffer.alloc(100, 0x41)]);
    const records = [
      { timestampNs: BASE_NS, data: tcpPacket('client', 1, bogus) },
      { timestampNs: BASE_NS + 1n, data: tcpPacket('client', 1 + bogus.length, encodeTcpFrame('{"lost":1}')) },
      { timestampNs: BASE_NS + 2n, data: tcpPacket('device', 1, encodeTcpFrame('{"kept":1}')) },
    ];
    const { messages, warnings } = decodeCapture(pcapFile(records, { linkType: LinkType.RAW }));
    assert.deepEqual(
      messages.map((message) => message.payload),
      [{ kept: 1 }],
    );
    assert.match(warnings.join('\n'), /10\.0\.0\.2:40000 -> 10\.0\.0\.1:9999: .*2147483647 bytes.*skipped/);
  });

  void it('honours extra Smart Home ports and shows undecodable text as text', () => {
    const records = [
      { timestampNs: BASE_NS, data: ipv4(CLIENT, DEVICE, 6, tcp(40000, 7777, 1, encodeTcpFrame('not json'))) },
      { timestampNs: BASE_NS + 1n, data: ipv4(CLIENT, DEVICE, 6, tcp(40000, 8888, 1, encodeTcpFrame('{"x":1}'))) },
    ];
    const file = pcapFile(records, { linkType: LinkType.RAW });
    assert.deepEqual(decodeCapture(file).messages, []);
    const { messages } = decodeCapture(file, { smartHomePorts: [9999, 7777] });
    assert.deepEqual(
      messages.map((message) => [message.dst, message.payload]),
      [['10.0.0.1:7777', 'not json']],
    );
  });
});

void describe('UDP messages', () => {
  void it('takes a discovery answer from another port as a reply, and ignores other traffic', () => {
    const records = [
      { timestampNs: BASE_NS, data: ipv4(CLIENT, '255.255.255.255', 17, udp(40000, 9999, encodeDatagram(JSON.stringify(REQUEST)))) },
      { timestampNs: BASE_NS + 1n, data: ipv4(DEVICE, CLIENT, 17, udp(50505, 40000, encodeDatagram(JSON.stringify(REPLY)))) },
      { timestampNs: BASE_NS + 2n, data: ipv4(DEVICE, CLIENT, 17, udp(50505, 40000, Buffer.from('random bytes'))) },
      { timestampNs: BASE_NS + 3n, data: ipv4(DEVICE, CLIENT, 17, udp(53, 40001, encodeDatagram(JSON.stringify(REPLY)))) },
    ];
    const { messages } = decodeCapture(pcapFile(records, { linkType: LinkType.RAW }));
    assert.deepEqual(
      messages.map(({ src, direction, payload }) => ({ src, direction, payload })),
      [
        { src: '10.0.0.2:40000', direction: 'request', payload: REQUEST },
        { src: '10.0.0.1:50505', direction: 'reply', payload: REPLY },
      ],
    );
  });

  void it('decodes TDDP v1 and v2 with the key given, and says when the credentials look wrong', () => {
    const key = deriveTddpKey('root', 'toor');
    const records = [
      { timestampNs: BASE_NS, data: ipv4(CLIENT, DEVICE, 17, udp(61000, 1040, buildTddpPacket({ type: TddpType.SPECIAL_COMMAND, id: 9, subtype: 0x0a }))) },
      {
        timestampNs: BASE_NS + 1n,
        data: ipv4(DEVICE, CLIENT, 17, udp(1040, 61000, buildTddpPacket({ type: TddpType.SPECIAL_COMMAND, code: TddpCode.REPLY, id: 9, subtype: 0x0a, data: '{"ok":true}', key }))),
      },
      { timestampNs: BASE_NS + 2n, data: ipv4(CLIENT, DEVICE, 17, udp(50000, 1040, buildTddpPacket({ version: 1, type: TddpType.GET_CONFIG, id: 3, subtype: 0, data: 'v1' }))) },
      // 20 bytes of a 28-byte v2 header: reported; 8 bytes: too short for any TDDP header, ignored.
      { timestampNs: BASE_NS + 3n, data: ipv4(CLIENT, DEVICE, 17, udp(50000, 1040, Buffer.from('020301000000000900010a000000000000000000', 'hex'))) },
      { timestampNs: BASE_NS + 4n, data: ipv4(CLIENT, DEVICE, 17, udp(50000, 1040, Buffer.from('0203010000000009', 'hex'))) },
    ];
    const file = pcapFile(records, { linkType: LinkType.RAW });
    const { messages } = decodeCapture(file, { tddpKey: key });
    assert.deepEqual(
      messages.map(({ protocol, direction, payload, digestOk, header }) => ({ protocol, direction, payload, digestOk, id: header?.id })),
      [
        { protocol: 'tddp', direction: 'request', payload: '', digestOk: true, id: 9 },
        { protocol: 'tddp', direction: 'reply', payload: { ok: true }, digestOk: true, id: 9 },
        { protocol: 'tddp', direction: 'request', payload: 'v1', digestOk: null, id: 3 },
        { protocol: 'tddp', direction: 'request', payload: null, digestOk: undefined, id: undefined },
      ],
    );
    assert.match(messages[3]!.error!, /TDDP/);
    assert.deepEqual(messages[1]!.header, { version: 2, type: 3, code: 2, status: 0, length: 16, id: 9, subtype: 10 });

    const withDefault = decodeCapture(file).messages[1]!;
    assert.equal(withDefault.digestOk, false);
    assert.equal(withDefault.payload, null);
    assert.match(withDefault.error!, /credentials/);
  });
});

void describe('tplink-decode command line', () => {
  function recordingIo(): CliIo & { outLines: string[]; errLines: string[] } {
    const outLines: string[] = [];
    const errLines: string[] = [];
    return { outLines, errLines, out: (line) => outLines.push(line), err: (line) => errLines.push(line) };
  }

  async function withCapture<T>(bytes: Buffer, use: (file: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(path.join(tmpdir(), 'kasa-decode-'));
    try {
      const file = path.join(dir, 'capture.pcap');
      await writeFile(file, bytes);
      return await use(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  void it('prints one JSON line per message from a file, -r or positional', async () => {
    await withCapture(pcapFile(simpleExchange()), async (file) => {
      for (const argv of [[file], ['-r', file]]) {
        const io = recordingIo();
        assert.equal(await runDecode(argv, io), 0);
        assert.deepEqual(io.errLines, []);
        assertSimpleExchange(io.outLines.map((line) => JSON.parse(line) as DecodedMessage));
      }
    });
  });

  void it('reads standard input, and decrypts TDDP with -u/-p', async () => {
    const key = deriveTddpKey('alice', 'wonderland');
    const packet = buildTddpPacket({ type: TddpType.SPECIAL_COMMAND, code: TddpCode.REPLY, id: 1, subtype: 0x12, data: 'device-42', key });
    const file = pcapFile([{ timestampNs: BASE_NS, data: ipv4(DEVICE, CLIENT, 17, udp(1040, 61000, packet)) }], { linkType: LinkType.RAW });
    const io = recordingIo();
    assert.equal(await runDecode(['-u', 'alice', '-p', 'wonderland'], io, Readable.from([file.subarray(0, 10), file.subarray(10)])), 0);
    const [message] = io.outLines.map((line) => JSON.parse(line) as DecodedMessage);
    assert.equal(message!.payload, 'device-42');
    assert.equal(message!.digestOk, true);
  });

  void it('exits 2 on a bad command line and 0 with --help', async () => {
    for (const argv of [['--bogus'], ['a.pcap', 'b.pcap'], ['-r', 'a.pcap', 'b.pcap'], ['--port', '70000', 'a.pcap'], ['--port', '']]) {
      const io = recordingIo();
      assert.equal(await runDecode(argv, io), 2, argv.join(' '));
      assert.equal(io.errLines.length, 1);
      assert.match(io.errLines[0]!, /^tplink-decode: .*\(see --help\)$/);
    }
    const io = recordingIo();
    assert.equal(await runDecode(['--help'], io), 0);
    assert.match(io.outLines.join('\n'), /Usage: tplink-decode/);
  });

  void it('exits 1 with a one-line reason when the capture cannot be read', async () => {
    const missing = recordingIo();
    assert.equal(await runDecode(['/nonexistent/capture.pcap'], missing), 1);
    assert.deepEqual(missing.errLines, ['tplink-decode: cannot read /nonexistent/capture.pcap: no such file']);
    await withCapture(Buffer.from('hello, not a capture'), async (file) => {
      const io = recordingIo();
      assert.equal(await runDecode([file], io), 1);
      assert.equal(io.errLines.length, 1);
      assert.match(io.errLines[0]!, /neither pcap nor pcapng/);
    });
  });

  void it('runs as a process with those exit codes', async () => {
    const bin = path.resolve(__dirname, '..', '..', 'bin', 'tplink-decode.js');
    const run = async (args: string[], input?: Buffer): Promise<{ code: number; stdout: string; stderr: string }> => {
      return await new Promise((resolve) => {
        const child = execFile(process.execPath, [bin, ...args], { timeout: 8000 }, (error, stdout, stderr) => {
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
        });
        // A tool that exits before reading its input (a usage error) closes the pipe: EPIPE is expected.
        child.stdin!.on('error', () => undefined);
        child.stdin!.end(input ?? Buffer.alloc(0));
      });
    };
    const ok = await run(['-'], pcapFile(simpleExchange()));
    assert.equal(ok.code, 0);
    assert.equal(ok.stdout.trim().split('\n').length, 2);
    assert.equal((await run(['--nope'])).code, 2);
    const bad = await run([], Buffer.from('garbage!'));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^tplink-decode: The capture cannot be read: .*\n$/);
  });
});
