/**
 * Codec throughput: this project's XOR cipher against tplink-smarthome-crypto on the same inputs,
 * after checking that both produce the same bytes (timing different work would prove nothing).
 */
import * as peer from 'tplink-smarthome-crypto';
import { DeviceState } from '../src/simulator';
import { HEADER_BYTES, decrypt, encodeTcpFrame, encrypt } from '../src/transport/xor-cipher';
import { Summary, pairedRatios, summarise } from './stats';

export const SYSINFO_REQUEST = '{"system":{"get_sysinfo":{}}}';
/** PROTOCOL.md section 1: the TCP frame of SYSINFO_REQUEST. */
const SYSINFO_REQUEST_FRAME = '0000001dd0f281f88bff9af7d5ef94b6d1b4c09fec95e68fe187e8caf08bf68bf6';

export interface CodecInput {
  name: string;
  json: string;
  bytes: number;
}

/** What each side's function is fed: prepared once, outside the timed loop. */
interface Prepared {
  plain: Buffer;
  cipher: Buffer;
  frame: Buffer;
  json: string;
}

/** Runs one codec call `n` times and returns a value derived from every output (so none is optimised away). */
type Loop = (x: Prepared, n: number) => number;

interface Operation {
  name: string;
  /** One call, for the byte-for-byte check. */
  ours: (x: Prepared) => Buffer;
  peer: (x: Prepared) => Buffer;
  /**
   * Timed loops, written out one per contender so each has its own monomorphic call site:
   * a shared harness calling through a function value would time V8's megamorphic dispatch too.
   */
  oursLoop: Loop;
  peerLoop: Loop;
}

/** Paired by the work they do: same input, same output bytes. */
const OPERATIONS: readonly Operation[] = [
  {
    name: 'encrypt',
    ours: (x) => encrypt(x.plain),
    peer: (x) => peer.encrypt(x.plain),
    oursLoop: (x, n) => {
      let sink = 0;
      for (let i = 0; i < n; i++) sink ^= encrypt(x.plain)[0]!;
      return sink;
    },
    peerLoop: (x, n) => {
      let sink = 0;
      for (let i = 0; i < n; i++) sink ^= peer.encrypt(x.plain)[0]!;
      return sink;
    },
  },
  {
    name: 'decrypt',
    ours: (x) => decrypt(x.cipher),
    peer: (x) => peer.decrypt(x.cipher),
    oursLoop: (x, n) => {
      let sink = 0;
      for (let i = 0; i < n; i++) sink ^= decrypt(x.cipher)[0]!;
      return sink;
    },
    peerLoop: (x, n) => {
      let sink = 0;
      for (let i = 0; i < n; i++) sink ^= peer.decrypt(x.cipher)[0]!;
      return sink;
    },
  },
  {
    name: 'encode TCP frame',
    ours: (x) => encodeTcpFrame(x.json),
    peer: (x) => peer.encryptWithHeader(x.json),
    oursLoop: (x, n) => {
      let sink = 0;
      for (let i = 0; i < n; i++) sink ^= encodeTcpFrame(x.json)[HEADER_BYTES]!;
      return sink;
    },
    peerLoop: (x, n) => {
      let sink = 0;
      for (let i = 0; i < n; i++) sink ^= peer.encryptWithHeader(x.json)[HEADER_BYTES]!;
      return sink;
    },
  },
  {
    // Ours has no single call for this: the transport decrypts what follows the header.
    name: 'decode TCP frame',
    ours: (x) => decrypt(x.frame.subarray(HEADER_BYTES)),
    peer: (x) => peer.decryptWithHeader(x.frame),
    oursLoop: (x, n) => {
      let sink = 0;
      for (let i = 0; i < n; i++) sink ^= decrypt(x.frame.subarray(HEADER_BYTES))[0]!;
      return sink;
    },
    peerLoop: (x, n) => {
      let sink = 0;
      for (let i = 0; i < n; i++) sink ^= peer.decryptWithHeader(x.frame)[0]!;
      return sink;
    },
  },
];

export interface CodecResult {
  input: string;
  bytes: number;
  operation: string;
  /** MB/s (10^6 bytes of payload per second). */
  ours: Summary;
  peer: Summary;
  /** ours / peer, round by round. */
  ratio: Summary;
}

export interface CodecOptions {
  /** Timed samples per contender and case (after warm-up). */
  samples: number;
  /** Target duration of one timed sample. */
  sampleMs: number;
}

/** A small request, a typical HS110 sysinfo reply and a large (~64 KiB) statistics reply. */
export function codecInputs(): CodecInput[] {
  const fixedClock = (): number => Date.UTC(2025, 0, 15, 12);
  const state = new DeviceState({ model: 'hs110', seed: 'bench', clock: fixedClock });
  const sysinfo = JSON.stringify(state.handle(JSON.parse(SYSINFO_REQUEST)));
  const inputs = [
    { name: 'small request', json: SYSINFO_REQUEST },
    { name: 'sysinfo reply', json: sysinfo },
    { name: 'large reply', json: largeReply(64 * 1024) },
  ];
  return inputs.map((input) => ({ ...input, bytes: Buffer.byteLength(input.json, 'utf8') }));
}

/** A get_daystat-shaped reply grown to about `targetBytes`. */
function largeReply(targetBytes: number): string {
  const days: Array<Record<string, number>> = [];
  let size = 0;
  for (let i = 0; size < targetBytes - 64; i++) {
    const day = { year: 2020 + Math.floor(i / 372), month: 1 + (Math.floor(i / 31) % 12), day: 1 + (i % 31), energy_wh: (i * 7919) % 5000 };
    days.push(day);
    size += JSON.stringify(day).length + 1;
  }
  return JSON.stringify({ emeter: { get_daystat: { day_list: days, err_code: 0 } } });
}

function prepare(json: string): Prepared {
  const plain = Buffer.from(json, 'utf8');
  return { plain, cipher: encrypt(plain), frame: encodeTcpFrame(json), json };
}

/** Throws when the two codecs disagree on any input, or ours on the protocol's test vector. */
export function verifyCodecs(inputs: readonly CodecInput[]): void {
  const vector = encodeTcpFrame(SYSINFO_REQUEST).toString('hex');
  if (vector !== SYSINFO_REQUEST_FRAME) throw new Error(`our TCP frame of get_sysinfo is ${vector}, not the protocol vector`);
  for (const input of inputs) {
    const prepared = prepare(input.json);
    if (!decrypt(prepared.cipher).equals(prepared.plain)) throw new Error(`${input.name}: decrypt(encrypt(x)) differs from x`);
    for (const operation of OPERATIONS) {
      const ours = operation.ours(prepared);
      const theirs = operation.peer(prepared);
      if (!ours.equals(theirs)) throw new Error(`${input.name}, ${operation.name}: the two codecs produce different bytes`);
    }
  }
}

/**
 * MB/s (bytes per microsecond) of `n` calls, over the CPU time this process used rather than the
 * wall clock: on a shared machine the wall clock also counts the time other processes had the core.
 */
function timeLoop(loop: Loop, input: Prepared, bytes: number, n: number): number {
  const before = process.cpuUsage();
  sink ^= loop(input, n);
  const used = process.cpuUsage(before);
  return (n * bytes) / Math.max(1, used.user + used.system);
}

/** Pairs of samples run before the counted ones, so both codecs are optimised by then. */
const WARM_UP_PAIRS = 4;

/** Written to, so the optimiser cannot drop the loops' work. */
let sink = 0;

/**
 * Calls that take about `ms` of CPU time for this loop, so both contenders' samples last about as
 * long. Many short runs first, so V8 optimises the loop as a whole function and not only through
 * on-stack replacement in a long run (which was seen to leave one loop 20 times slower for a whole case).
 * Measured twice: the first pass also warms up, only the second counts.
 */
function calibrate(loop: Loop, input: Prepared, ms: number): number {
  for (let i = 0; i < 2000; i++) sink ^= loop(input, 2);
  let calls = 0;
  for (let pass = 0; pass < 2; pass++) {
    for (let n = 1; ; n *= 2) {
      const before = process.cpuUsage();
      sink ^= loop(input, n);
      const used = process.cpuUsage(before);
      const usedMs = (used.user + used.system) / 1000;
      if (usedMs >= ms / 2) {
        calls = Math.max(1, Math.round((n * ms) / usedMs));
        break;
      }
    }
  }
  return calls;
}

/**
 * For each (input, operation), the two codecs take turns in short samples (ABBA order), so a
 * change in the machine's load hits both alike; warm-up pairs come first and are not counted.
 */
export function runCodecBench(inputs: readonly CodecInput[], options: CodecOptions): CodecResult[] {
  const results: CodecResult[] = [];
  for (const input of inputs) {
    const prepared = prepare(input.json);
    for (const operation of OPERATIONS) {
      const ours: number[] = [];
      const theirs: number[] = [];
      const oursCalls = calibrate(operation.oursLoop, prepared, options.sampleMs);
      const peerCalls = calibrate(operation.peerLoop, prepared, options.sampleMs);
      for (let pair = -WARM_UP_PAIRS; pair < options.samples; pair++) {
        const timeOurs = (): number => timeLoop(operation.oursLoop, prepared, input.bytes, oursCalls);
        const timePeer = (): number => timeLoop(operation.peerLoop, prepared, input.bytes, peerCalls);
        let oursRate: number;
        let peerRate: number;
        if (pair % 2 === 0) {
          oursRate = timeOurs();
          peerRate = timePeer();
        } else {
          peerRate = timePeer();
          oursRate = timeOurs();
        }
        if (pair < 0) continue; // warm-up
        ours.push(oursRate);
        theirs.push(peerRate);
      }
      results.push({
        input: input.name,
        bytes: input.bytes,
        operation: operation.name,
        ours: summarise(ours),
        peer: summarise(theirs),
        ratio: summarise(pairedRatios(ours, theirs)),
      });
    }
  }
  // Reading the sink keeps it (and so the loops' work) alive; XORs of bytes are never negative.
  if (sink < 0) throw new Error('unreachable');
  return results;
}

