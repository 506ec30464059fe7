import { KasaError, ErrorCode } from '../util/errors';
import { DEFAULT_MAX_REPLY_BYTES, FrameReader } from '../transport/frame-reader';
import { isObject } from '../util/json';
import { deriveTddpKey } from '../tddp/des';
import { TDDP_DEFAULT_LOGIN } from '../tddp/login';
import { TddpHeader, V1_HEADER_BYTES, parseTddpPacket } from '../tddp/packet';
import { isPlausibleText, suspectCredentials } from '../tddp/reply-check';
import { formatAddress } from '../transport/transport';
import { decrypt } from '../transport/xor-cipher';
import { TDP_HEADER_BYTES, TDP_PORT, TdpHeader, decodeTdpHeader, tdpCrcMatches } from '../discovery/tdp';
import { CapturedPacket, readCapture } from './capture-file';
import { DEFAULT_HTTP_PORT, HttpLabel, HttpStreamReader, describeBody, labelRequest } from './http-exchange';
import { IP_PROTOCOL_TCP, IP_PROTOCOL_UDP, IpPacket, parseIp } from './ip';
import { ipPacketOf } from './link-layer';
import { TcpSegment, parseTcp, parseUdp } from './segments';
import { ReassemblyResult, TcpStreamReassembler } from './tcp-reassembly';

/**
 * Finds the Smart Home (XOR, TCP/UDP 9999) and TDDP (UDP 1040/61000) messages of a capture and
 * decrypts them; shows TP-Link discovery (TDP, UDP 20002/20004) and labels the KLAP and AES HTTP
 * exchanges on port 80, whose payloads need the session's keys. TCP streams are reassembled per direction, so a message split over many
 * segments, or several messages in one segment, come out whole and one by one.
 */
export const DEFAULT_SMARTHOME_PORT = 9999;
export const TDDP_REQUEST_PORT = 1040;
export const TDDP_REPLY_PORT = 61000;
/** TDP's ports: 20002, and 20004 which some clients also use. */
export const TDP_PORTS: readonly number[] = [TDP_PORT, 20004];

export interface DecodeOptions {
  /** Ports the Smart Home devices listen on (default 9999). */
  smartHomePorts?: readonly number[];
  /** TDDP DES key (default: derived from admin/admin). */
  tddpKey?: Uint8Array;
  /** Largest Smart Home message accepted (bytes). */
  maxFrameBytes?: number;
  /** Ports of KLAP and AES over HTTP (default 80). */
  httpPorts?: readonly number[];
  /** Ports of TDP discovery (default 20002, 20004). */
  tdpPorts?: readonly number[];
}

export interface DecodedMessage {
  /** Capture time, ISO 8601 with microseconds. */
  time: string;
  src: string;
  dst: string;
  protocol: 'smarthome' | 'tddp' | 'tdp' | 'klap' | 'aes' | 'http';
  transport: 'tcp' | 'udp';
  direction: 'request' | 'reply';
  /** The decrypted JSON object, or the decrypted text when it is not a JSON object; null if unreadable. */
  payload: unknown;
  /** TDDP: the header fields. */
  header?: TddpHeader;
  /** TDP: the header fields. */
  tdpHeader?: TdpHeader;
  /** TDP: whether the header's CRC matches the packet. */
  crcOk?: boolean;
  /** KLAP, AES: the HTTP request line or status. */
  http?: { method?: string; path?: string; status?: number; bodyBytes: number };
  /** KLAP, AES: which step of the exchange (handshake1, request, securePassthrough, ...). */
  step?: string;
  /** KLAP: the request's sequence number. */
  seq?: number;
  /** KLAP, AES: what the encrypted body is. */
  note?: string;
  /** KLAP handshakes: the body in hex. */
  bodyHex?: string;
  /** TDDP v2: whether the digest matched (null for v1, which has none). */
  digestOk?: boolean | null;
  /** TDDP: the decrypted data (padding removed) in hex, for data that is not text. */
  dataHex?: string;
  /** Why the message could not be fully decoded. */
  error?: string;
}

export interface TimedMessage {
  timestampNs: bigint;
  message: DecodedMessage;
}

interface StreamState {
  reassembler: TcpStreamReassembler;
  frames: FrameReader;
  src: string;
  dst: string;
  direction: 'request' | 'reply';
  /** A length header was absurd: the rest of the stream cannot be cut into messages. */
  lost: boolean;
}

interface HttpStreamState {
  reassembler: TcpStreamReassembler;
  reader: HttpStreamReader;
  src: string;
  dst: string;
  direction: 'request' | 'reply';
  /** client>server, for pairing replies with requests. */
  connection: string;
}

interface Endpoints {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
}

export class CaptureDecoder {
  /** Problems met while decoding, for a person to read. */
  readonly warnings: string[] = [];
  private readonly smartHomePorts: ReadonlySet<number>;
  private readonly tddpKey: Uint8Array;
  private readonly maxFrameBytes: number;
  private readonly streams = new Map<string, StreamState>();
  /** Endpoints that sent a UDP Smart Home request: newer firmware answers them from other ports. */
  private readonly udpClients = new Set<string>();
  private fragmentsSkipped = 0;
  private readonly httpPorts: ReadonlySet<number>;
  private readonly tdpPorts: ReadonlySet<number>;
  private readonly httpStreams = new Map<string, HttpStreamState>();
  /** Per connection (client>server), the labels of requests not yet answered, oldest first. */
  private readonly httpPending = new Map<string, HttpLabel[]>();

  constructor(options: DecodeOptions = {}) {
    this.httpPorts = new Set(options.httpPorts ?? [DEFAULT_HTTP_PORT]);
    this.tdpPorts = new Set(options.tdpPorts ?? TDP_PORTS);
    this.smartHomePorts = new Set(options.smartHomePorts ?? [DEFAULT_SMARTHOME_PORT]);
    this.tddpKey = options.tddpKey ?? deriveTddpKey(TDDP_DEFAULT_LOGIN.username, TDDP_DEFAULT_LOGIN.password);
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_REPLY_BYTES;
  }

  /** The messages this packet completes (none, one or several). */
  decode(packet: CapturedPacket): TimedMessage[] {
    const network = ipPacketOf(packet.linkType, packet.data);
    const ip = network === undefined ? undefined : parseIp(network);
    if (ip === undefined || (ip.protocol !== IP_PROTOCOL_TCP && ip.protocol !== IP_PROTOCOL_UDP)) return [];
    if (ip.fragment) {
      this.fragmentsSkipped++;
      return [];
    }
    if (ip.protocol === IP_PROTOCOL_TCP) {
      const tcp = parseTcp(ip.payload);
      return tcp === undefined ? [] : this.decodeTcp(tcp, endpointsOf(ip, tcp), packet.timestampNs);
    }
    const udp = parseUdp(ip.payload);
    return udp === undefined ? [] : this.decodeUdp(udp.payload, endpointsOf(ip, udp), packet.timestampNs);
  }

  /** At the end of the capture: messages still held back by holes in TCP streams. */
  finish(): TimedMessage[] {
    const messages: TimedMessage[] = [];
    for (const state of this.streams.values()) {
      for (const result of state.reassembler.flush()) messages.push(...this.consume(state, result, undefined));
      if (!state.lost && state.frames.pendingBytes > 0) {
        this.warnings.push(`${state.src} -> ${state.dst}: the capture ends inside a message (${state.frames.pendingBytes} bytes of it).`);
      }
    }
    for (const state of this.httpStreams.values()) {
      for (const result of state.reassembler.flush()) messages.push(...this.consumeHttp(state, result, undefined));
      if (!state.reader.lost && state.reader.pendingBytes > 0) {
        this.warnings.push(`${state.src} -> ${state.dst}: the capture ends inside an HTTP message (${state.reader.pendingBytes} bytes of it).`);
      }
    }
    if (this.fragmentsSkipped > 0) {
      this.warnings.push(`${this.fragmentsSkipped} IP fragments were skipped (fragment reassembly is not supported).`);
    }
    return messages;
  }

  private decodeTcp(segment: TcpSegment, at: Endpoints, timestampNs: bigint): TimedMessage[] {
    const toDevice = this.smartHomePorts.has(at.dstPort);
    if (!toDevice && !this.smartHomePorts.has(at.srcPort)) {
      return this.httpPorts.has(at.dstPort) || this.httpPorts.has(at.srcPort) ? this.decodeHttp(segment, at, timestampNs) : [];
    }
    const key = `${at.src}>${at.dst}`;
    let state = this.streams.get(key);
    if (state === undefined || segment.syn) {
      state = {
        reassembler: state?.reassembler ?? new TcpStreamReassembler(),
        frames: new FrameReader(this.maxFrameBytes),
        src: at.src,
        dst: at.dst,
        direction: toDevice ? 'request' : 'reply',
        lost: false,
      };
      this.streams.set(key, state);
    }
    return this.consume(state, state.reassembler.push(segment, timestampNs), timestampNs);
  }

  /**
   * Cuts newly contiguous stream bytes into messages. They complete at `timestampNs`, the packet
   * being decoded; at the end of the capture (undefined) at the time their last bytes were captured.
   */
  private consume(state: StreamState, result: ReassemblyResult, timestampNs: bigint | undefined): TimedMessage[] {
    if (result.skipped > 0) {
      this.warnings.push(`${state.src} -> ${state.dst}: ${result.skipped} bytes are missing from the capture; a message may be lost.`);
      state.frames.reset();
    }
    const messages: TimedMessage[] = [];
    for (const chunk of result.chunks) {
      if (state.lost) break;
      let frames: Buffer[];
      try {
        frames = state.frames.push(chunk.bytes);
      } catch (error) {
        if (!(error instanceof KasaError) || error.code !== ErrorCode.TOO_LARGE) throw error;
        state.lost = true;
        this.warnings.push(`${state.src} -> ${state.dst}: ${error.message} The rest of this TCP stream is skipped.`);
        break;
      }
      for (const frame of frames) {
        messages.push({
          timestampNs: timestampNs ?? chunk.timestampNs,
          message: smartHomeMessage(frame, state, 'tcp', timestampNs ?? chunk.timestampNs),
        });
      }
    }
    return messages;
  }

  private decodeHttp(segment: TcpSegment, at: Endpoints, timestampNs: bigint): TimedMessage[] {
    const toDevice = this.httpPorts.has(at.dstPort);
    const key = `${at.src}>${at.dst}`;
    let state = this.httpStreams.get(key);
    if (state === undefined || segment.syn) {
      state = {
        reassembler: state?.reassembler ?? new TcpStreamReassembler(),
        reader: new HttpStreamReader(),
        src: at.src,
        dst: at.dst,
        direction: toDevice ? 'request' : 'reply',
        connection: toDevice ? key : `${at.dst}>${at.src}`,
      };
      this.httpStreams.set(key, state);
      if (segment.syn && toDevice) this.httpPending.set(key, []);
    }
    return this.consumeHttp(state, state.reassembler.push(segment, timestampNs), timestampNs);
  }

  private consumeHttp(state: HttpStreamState, result: ReassemblyResult, timestampNs: bigint | undefined): TimedMessage[] {
    if (result.skipped > 0) {
      this.warnings.push(`${state.src} -> ${state.dst}: ${result.skipped} bytes are missing from the capture; HTTP messages may be lost.`);
      state.reader = new HttpStreamReader();
    }
    const messages: TimedMessage[] = [];
    for (const chunk of result.chunks) {
      const wasLost = state.reader.lost;
      for (const http of state.reader.push(chunk.bytes)) {
        const at = timestampNs ?? chunk.timestampNs;
        const pending = this.httpPending.get(state.connection) ?? [];
        this.httpPending.set(state.connection, pending);
        let label: HttpLabel;
        if (state.direction === 'request') {
          label = labelRequest(http);
          pending.push(label);
        } else {
          // HTTP/1.1 answers in order: a reply is for the oldest request still unanswered.
          label = pending.shift() ?? { protocol: 'http', step: 'reply' };
        }
        const body = describeBody(label, http.body, state.direction);
        const message: DecodedMessage = {
          time: isoTime(at),
          src: state.src,
          dst: state.dst,
          protocol: label.protocol,
          transport: 'tcp',
          direction: state.direction,
          payload: body.payload,
          http: {
            ...(http.method === undefined ? {} : { method: http.method }),
            ...(http.path === undefined ? {} : { path: http.path }),
            ...(http.status === undefined ? {} : { status: http.status }),
            bodyBytes: http.body.length,
          },
          step: label.step,
          ...(label.seq === undefined ? {} : { seq: label.seq }),
          ...(body.note === undefined ? {} : { note: body.note }),
          ...(body.bodyHex === undefined ? {} : { bodyHex: body.bodyHex }),
        };
        messages.push({ timestampNs: at, message });
      }
      if (state.reader.lost && !wasLost) {
        this.warnings.push(`${state.src} -> ${state.dst}: not HTTP as KLAP or AES speak it; the rest of this TCP stream is skipped.`);
      }
    }
    return messages;
  }

  private decodeUdp(payload: Buffer, at: Endpoints, timestampNs: bigint): TimedMessage[] {
    if (payload.length === 0) return [];
    const route = { src: at.src, dst: at.dst };
    if (this.tdpPorts.has(at.dstPort) || this.tdpPorts.has(at.srcPort)) {
      return [{ timestampNs, message: tdpMessage(payload, { ...route, direction: this.tdpPorts.has(at.dstPort) ? 'request' : 'reply' }, timestampNs) }];
    }
    if (this.smartHomePorts.has(at.dstPort)) {
      this.udpClients.add(at.src);
      return [{ timestampNs, message: smartHomeMessage(payload, { ...route, direction: 'request' }, 'udp', timestampNs) }];
    }
    if (this.smartHomePorts.has(at.srcPort)) {
      return [{ timestampNs, message: smartHomeMessage(payload, { ...route, direction: 'reply' }, 'udp', timestampNs) }];
    }
    const tddpVersion = payload[0];
    const tddpRequest = at.dstPort === TDDP_REQUEST_PORT;
    const tddpReply = at.srcPort === TDDP_REQUEST_PORT || at.dstPort === TDDP_REPLY_PORT;
    const couldBeTddp = payload.length >= V1_HEADER_BYTES && (tddpVersion === 1 || tddpVersion === 2);
    if ((tddpRequest || tddpReply) && couldBeTddp) {
      const direction = tddpRequest ? 'request' : 'reply';
      return [{ timestampNs, message: tddpMessage(payload, { ...route, direction }, this.tddpKey, timestampNs) }];
    }
    if (this.udpClients.has(at.dst)) {
      // A discovery answer from a port other than 9999: accept it only if it decrypts to JSON.
      const message = smartHomeMessage(payload, { ...route, direction: 'reply' }, 'udp', timestampNs);
      if (isObject(message.payload)) return [{ timestampNs, message }];
    }
    return [];
  }
}

function endpointsOf(ip: IpPacket, ports: { srcPort: number; dstPort: number }): Endpoints {
  return {
    src: formatAddress(ip.src, ports.srcPort),
    dst: formatAddress(ip.dst, ports.dstPort),
    srcPort: ports.srcPort,
    dstPort: ports.dstPort,
  };
}

interface Route {
  src: string;
  dst: string;
  direction: 'request' | 'reply';
}

function smartHomeMessage(cipher: Buffer, route: Route, transport: 'tcp' | 'udp', timestampNs: bigint): DecodedMessage {
  const text = decrypt(cipher).toString('utf8');
  return {
    time: isoTime(timestampNs),
    src: route.src,
    dst: route.dst,
    protocol: 'smarthome',
    transport,
    direction: route.direction,
    payload: jsonObjectOrText(text),
  };
}

function tddpMessage(datagram: Buffer, route: Route, key: Uint8Array, timestampNs: bigint): DecodedMessage {
  const base = {
    time: isoTime(timestampNs),
    src: route.src,
    dst: route.dst,
    protocol: 'tddp' as const,
    transport: 'udp' as const,
    direction: route.direction,
  };
  let parsed;
  try {
    parsed = parseTddpPacket(datagram, key);
  } catch (error) {
    if (!(error instanceof KasaError)) throw error;
    return { ...base, payload: null, error: error.message };
  }
  const plausible = isPlausibleText(parsed.data);
  const message: DecodedMessage = {
    ...base,
    payload: plausible ? jsonObjectOrText(parsed.data.toString('utf8')) : null,
    header: { ...parsed.header },
    digestOk: parsed.digestOk,
    dataHex: parsed.data.toString('hex'),
  };
  if (suspectCredentials(parsed)) {
    message.error = 'The data could not be decrypted with these credentials (wrong username or password?).';
  }
  return message;
}

/** A TDP datagram: its 16-byte header (CRC checked) and the JSON after it. */
function tdpMessage(datagram: Buffer, route: Route, timestampNs: bigint): DecodedMessage {
  const base: DecodedMessage = {
    time: isoTime(timestampNs),
    src: route.src,
    dst: route.dst,
    protocol: 'tdp',
    transport: 'udp',
    direction: route.direction,
    payload: null,
  };
  const header = decodeTdpHeader(datagram);
  if (header === null) return { ...base, error: `A TDP packet has a 16-byte header; this one has ${datagram.length} bytes.` };
  const body = datagram.subarray(TDP_HEADER_BYTES);
  const message: DecodedMessage = { ...base, payload: body.length === 0 ? null : jsonObjectOrText(body.toString('utf8')), tdpHeader: header, crcOk: tdpCrcMatches(datagram) };
  if (header.msgSize !== body.length) message.error = `The header says ${header.msgSize} payload bytes; ${body.length} follow.`;
  return message;
}

function jsonObjectOrText(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    if (isObject(value)) return value;
  } catch {
    // not JSON: the text itself is the payload
  }
  return text;
}

/** ISO 8601 in UTC with microseconds (captures carry more than the milliseconds of Date). */
export function isoTime(timestampNs: bigint): string {
  const milliseconds = timestampNs / 1_000_000n;
  const iso = new Date(Number(milliseconds)).toISOString();
  if (timestampNs < 0n) return iso;
  const micro = (timestampNs / 1000n) % 1_000_000n;
  return `${iso.slice(0, 19)}.${micro.toString().padStart(6, '0')}Z`;
}

export interface DecodedCapture {
  format: 'pcap' | 'pcapng';
  /** In capture order: by the time each message was complete. */
  messages: DecodedMessage[];
  warnings: string[];
}

/** Reads and decodes a whole capture file. Throws KasaError(BAD_INPUT) if it is not pcap/pcapng. */
export function decodeCapture(bytes: Buffer, options: DecodeOptions = {}): DecodedCapture {
  const contents = readCapture(bytes);
  const decoder = new CaptureDecoder(options);
  const timed: TimedMessage[] = [];
  for (const packet of contents.packets) timed.push(...decoder.decode(packet));
  timed.push(...decoder.finish());
  // Stable sort: messages released at the end (after a hole) go back to their place in time.
  timed.sort((a, b) => (a.timestampNs < b.timestampNs ? -1 : a.timestampNs > b.timestampNs ? 1 : 0));
  return {
    format: contents.format,
    messages: timed.map((entry) => entry.message),
    warnings: [...contents.warnings, ...decoder.warnings],
  };
}
