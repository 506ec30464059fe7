import { ErrorCode, KasaError } from '../util/errors';
import { isObject } from '../util/json';
import { HEADER_BYTES, encodeDatagram, encodeTcpFrame, encrypt } from '../transport/xor-cipher';

/**
 * Misbehaviours a simulated device can be told to show, to test how a client copes:
 * - delay: answer `ms` late.
 * - silence: never answer; the connection stays open.
 * - reset: send part of the reply, then a TCP RST.
 * - truncate: a header announcing the whole reply, part of it, then FIN.
 * - lying-length: a header announcing `bytes` (default 0xFFFFFFFF), then a few bytes; stays open.
 * - garbage: a well-framed payload that decrypts to invalid UTF-8.
 * - non-json: valid UTF-8 that is not JSON (the reply cut short).
 * - err-code: every method answers `code` (default -3) and `msg`; the command is not carried out.
 * - close-after-reply: the normal reply, then FIN.
 * - close-after-request: the command is carried out, then FIN without any reply.
 * - push: the reply, then a moment later a frame nobody asked for (the sysinfo as it was).
 * - glued-frame: the reply and a frame nobody asked for, in one write.
 * - stray-before: a frame nobody asked for, then the reply, in one write.
 * - trailing-bytes: the reply followed by the start of another frame.
 * Except with err-code, the command takes effect even when its reply is lost or spoilt.
 */
export type Fault =
  | { kind: 'delay'; ms: number }
  | { kind: 'silence' }
  | { kind: 'reset' }
  | { kind: 'truncate' }
  | { kind: 'lying-length'; bytes?: number }
  | { kind: 'garbage' }
  | { kind: 'non-json' }
  | { kind: 'err-code'; code?: number; msg?: string }
  | { kind: 'close-after-reply' }
  | { kind: 'close-after-request' }
  | { kind: 'push' }
  | { kind: 'glued-frame' }
  | { kind: 'stray-before' }
  | { kind: 'trailing-bytes' };

export type FaultKind = Fault['kind'];

export const FAULT_KINDS: readonly FaultKind[] = [
  'delay',
  'silence',
  'reset',
  'truncate',
  'lying-length',
  'garbage',
  'non-json',
  'err-code',
  'close-after-reply',
  'close-after-request',
  'push',
  'glued-frame',
  'stray-before',
  'trailing-bytes',
];

/** Faults that make sense for a datagram; the others wait for the next TCP request. */
const UDP_FAULTS: ReadonlySet<FaultKind> = new Set<FaultKind>(['delay', 'silence', 'garbage', 'non-json', 'err-code']);

export interface FaultOptions {
  /** How many requests it applies to; until clearFaults() when absent. */
  times?: number;
}

export const DEFAULT_FAULT_ERR_CODE = -3;
export const DEFAULT_FAULT_ERR_MSG = 'simulated device error';
export const DEFAULT_LYING_LENGTH = 0xffff_ffff;
/** Bytes of ciphertext sent after a lying header. */
const LYING_TAIL_BYTES = 16;

/** Checks a fault given by a program or a person; throws KasaError(BAD_INPUT) with the reason. */
export function validateFault(value: unknown): Fault {
  const kind = isObject(value) ? value['kind'] : undefined;
  if (!isObject(value) || typeof kind !== 'string' || !(FAULT_KINDS as readonly string[]).includes(kind)) {
    const what = typeof kind === 'string' ? `Unknown fault "${kind}"` : 'A fault needs a kind';
    throw new KasaError(ErrorCode.BAD_INPUT, `${what}; one of: ${FAULT_KINDS.join(', ')}.`);
  }
  const fault = value as Fault;
  const integer = (field: string, min: number, max: number): void => {
    const n = value[field];
    if (n !== undefined && !(typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max)) {
      throw new KasaError(ErrorCode.BAD_INPUT, `The ${fault.kind} fault's ${field} must be an integer from ${min} to ${max}.`);
    }
  };
  switch (fault.kind) {
    case 'delay':
      if (value['ms'] === undefined) throw new KasaError(ErrorCode.BAD_INPUT, 'The delay fault needs ms, the delay in milliseconds.');
      integer('ms', 0, 2_147_483_647);
      break;
    case 'lying-length':
      integer('bytes', 0, DEFAULT_LYING_LENGTH);
      break;
    case 'err-code':
      integer('code', -2_147_483_648, 2_147_483_647);
      if (value['msg'] !== undefined && typeof value['msg'] !== 'string') {
        throw new KasaError(ErrorCode.BAD_INPUT, "The err-code fault's msg must be a string.");
      }
      break;
    default:
      break;
  }
  return fault;
}

/**
 * Reads the command-line form `kind[:number]`: the number is ms for delay, the code for err-code,
 * the announced length for lying-length. Throws KasaError(BAD_INPUT).
 */
export function parseFault(text: string): Fault {
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const argument = colon < 0 ? undefined : text.slice(colon + 1);
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) return validateFault({ kind });
  let number: number | undefined;
  if (argument !== undefined) {
    if (!/^-?\d+$/.test(argument)) throw new KasaError(ErrorCode.BAD_INPUT, `"${text}": the part after ":" must be a whole number.`);
    number = Number(argument);
  }
  const numbered: Record<string, string> = { delay: 'ms', 'err-code': 'code', 'lying-length': 'bytes' };
  const field = numbered[kind];
  if (number !== undefined && field === undefined) {
    throw new KasaError(ErrorCode.BAD_INPUT, `"${text}": the ${kind} fault takes no number.`);
  }
  return validateFault(field === undefined || number === undefined ? { kind } : { kind, [field]: number });
}

/** Faults waiting for requests, first in first out; the first one applies until its times run out. */
export class FaultQueue {
  private entries: Array<{ fault: Fault; remaining: number }> = [];

  add(fault: Fault, options: FaultOptions = {}): void {
    const times = options.times;
    if (times !== undefined && !(Number.isInteger(times) && times > 0)) {
      throw new KasaError(ErrorCode.BAD_INPUT, 'A fault applies a whole number of times, at least 1.');
    }
    this.entries.push({ fault: validateFault(fault), remaining: times ?? Infinity });
  }

  clear(): void {
    this.entries = [];
  }

  get size(): number {
    return this.entries.length;
  }

  /** The fault for the next request over that transport; a TCP-only fault stays for a TCP request. */
  take(transport: 'tcp' | 'udp'): Fault | undefined {
    const head = this.entries[0];
    if (head === undefined) return undefined;
    if (transport === 'udp' && !UDP_FAULTS.has(head.fault.kind)) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) this.entries.shift();
    return head.fault;
  }
}

/** The reply to a request under err-code: its shape mirrored, every method failing with that code. */
export function refusal(request: Record<string, unknown>, fault: { code?: number; msg?: string }): Record<string, unknown> {
  const error = { err_code: fault.code ?? DEFAULT_FAULT_ERR_CODE, err_msg: fault.msg ?? DEFAULT_FAULT_ERR_MSG };
  const reply: Record<string, unknown> = {};
  for (const [module, methods] of Object.entries(request)) {
    if (module === 'context') continue;
    reply[module] = isObject(methods)
      ? Object.fromEntries(Object.keys(methods).map((method) => [method, { ...error }]))
      : { ...error };
  }
  return reply;
}

/** What to do on a TCP connection to answer one request. */
export interface TcpReplyPlan {
  /** Nothing is written when null (silence). */
  bytes: Buffer | null;
  delayMs: number;
  /** keep: the connection stays open; end: FIN after the bytes; reset: RST after the bytes. */
  then: 'keep' | 'end' | 'reset';
  /** Written this long after the reply, unasked. */
  later?: { bytes: Buffer; delayMs: number };
}

/** Between a reply and the frame pushed after it: long enough to arrive on its own. */
const PUSH_PAUSE_MS = 10;

/**
 * How the reply text goes out over TCP, spoilt as the fault says. `unsolicited` is the text of
 * a frame nobody asked for, for the faults that send one.
 */
export function planTcpReply(json: string, fault: Fault | undefined, unsolicited = '{}'): TcpReplyPlan {
  switch (fault?.kind) {
    case 'close-after-request':
      return { bytes: null, delayMs: 0, then: 'end' };
    case 'push':
      return { bytes: encodeTcpFrame(json), delayMs: 0, then: 'keep', later: { bytes: encodeTcpFrame(unsolicited), delayMs: PUSH_PAUSE_MS } };
    case 'glued-frame':
      return { bytes: Buffer.concat([encodeTcpFrame(json), encodeTcpFrame(unsolicited)]), delayMs: 0, then: 'keep' };
    case 'stray-before':
      return { bytes: Buffer.concat([encodeTcpFrame(unsolicited), encodeTcpFrame(json)]), delayMs: 0, then: 'keep' };
    case 'trailing-bytes': {
      const next = encodeTcpFrame(unsolicited);
      return { bytes: Buffer.concat([encodeTcpFrame(json), next.subarray(0, HEADER_BYTES + 2)]), delayMs: 0, then: 'keep' };
    }
    case 'delay':
      return { bytes: encodeTcpFrame(json), delayMs: fault.ms, then: 'keep' };
    case 'silence':
      return { bytes: null, delayMs: 0, then: 'keep' };
    case 'reset':
    case 'truncate': {
      const whole = encodeTcpFrame(json);
      const part = whole.subarray(0, HEADER_BYTES + Math.floor((whole.length - HEADER_BYTES) / 2));
      return { bytes: part, delayMs: 0, then: fault.kind === 'reset' ? 'reset' : 'end' };
    }
    case 'lying-length': {
      const header = Buffer.alloc(HEADER_BYTES);
      header.writeUInt32BE(fault.bytes ?? DEFAULT_LYING_LENGTH, 0);
      const tail = encodeDatagram(json).subarray(0, LYING_TAIL_BYTES);
      return { bytes: Buffer.concat([header, tail]), delayMs: 0, then: 'keep' };
    }
    case 'garbage':
      return { bytes: frameBytes(invalidUtf8()), delayMs: 0, then: 'keep' };
    case 'non-json':
      return { bytes: encodeTcpFrame(cutShort(json)), delayMs: 0, then: 'keep' };
    case 'close-after-reply':
      return { bytes: encodeTcpFrame(json), delayMs: 0, then: 'end' };
    default:
      return { bytes: encodeTcpFrame(json), delayMs: 0, then: 'keep' };
  }
}

/** The datagram answering one UDP request (null: none), spoilt as the fault says. */
export function planDatagramReply(json: string, fault: Fault | undefined): { bytes: Buffer | null; delayMs: number } {
  switch (fault?.kind) {
    case 'delay':
      return { bytes: encodeDatagram(json), delayMs: fault.ms };
    case 'silence':
      return { bytes: null, delayMs: 0 };
    case 'garbage':
      return { bytes: encrypt(invalidUtf8()), delayMs: 0 };
    case 'non-json':
      return { bytes: encodeDatagram(cutShort(json)), delayMs: 0 };
    default:
      return { bytes: encodeDatagram(json), delayMs: 0 };
  }
}

/** Length header and ciphertext of plaintext bytes that are not text. */
function frameBytes(plain: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(plain.length, 0);
  return Buffer.concat([header, encrypt(plain)]);
}

/** Bytes 0x80..0xff only: continuation bytes with no lead byte are never valid UTF-8. */
function invalidUtf8(): Buffer {
  return Buffer.from(Array.from({ length: 32 }, (_unused, i) => 0x80 + ((i * 37) % 128)));
}

/** The first half of a JSON object's text, cut between characters: still UTF-8, no longer JSON. */
function cutShort(json: string): string {
  const characters = Array.from(json);
  return characters.slice(0, Math.max(1, Math.floor(characters.length / 2))).join('');
}
