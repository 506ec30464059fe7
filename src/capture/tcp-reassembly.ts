/**
 * Puts one direction of a TCP connection back in order by sequence number: retransmitted and
 * overlapping bytes are dropped, early segments wait for the missing ones. When too much waits
 * (a segment the capture lost), or at the end of the capture, the hole is skipped and reported.
 */
export interface StreamChunk {
  bytes: Buffer;
  /** When the packet that carried these bytes was captured. */
  timestampNs: bigint;
}

export interface ReassemblyResult {
  /** Bytes missing from the stream before `chunks` (0 when nothing was lost). */
  skipped: number;
  /** Newly contiguous bytes, in stream order. */
  chunks: StreamChunk[];
}

export const DEFAULT_MAX_WAITING_BYTES = 4 * 1024 * 1024;

interface WaitingSegment {
  seq: number;
  bytes: Buffer;
  timestampNs: bigint;
}

/** Signed distance from b to a in 32-bit sequence space (sequence numbers wrap around). */
function seqDistance(a: number, b: number): number {
  return (a - b) | 0;
}

export class TcpStreamReassembler {
  /** Sequence number of the next byte the stream expects; undefined before any data or SYN. */
  private nextSeq: number | undefined;
  private waiting: WaitingSegment[] = [];
  private waitingBytes = 0;

  constructor(private readonly maxWaitingBytes: number = DEFAULT_MAX_WAITING_BYTES) {}

  push(segment: { seq: number; syn: boolean; payload: Buffer }, timestampNs: bigint): ReassemblyResult {
    let seq = segment.seq;
    if (segment.syn) {
      // A SYN starts a new connection on this address pair: forget the old one.
      this.waiting = [];
      this.waitingBytes = 0;
      seq = (seq + 1) >>> 0;
      this.nextSeq = seq;
    }
    const result: ReassemblyResult = { skipped: 0, chunks: [] };
    if (segment.payload.length === 0) return result;
    // A capture started mid-connection: the first data seen is the start of the stream.
    this.nextSeq ??= seq;
    const offset = seqDistance(seq, this.nextSeq);
    if (offset > 0) {
      this.wait({ seq, bytes: segment.payload, timestampNs });
      if (this.waitingBytes > this.maxWaitingBytes) this.skipHole(result);
    } else {
      this.deliver({ seq, bytes: segment.payload, timestampNs }, result);
    }
    this.drain(result);
    return result;
  }

  /** At the end of the capture: hands over everything still waiting, one result per hole skipped. */
  flush(): ReassemblyResult[] {
    const results: ReassemblyResult[] = [];
    while (this.waiting.length > 0) {
      const result: ReassemblyResult = { skipped: 0, chunks: [] };
      this.skipHole(result);
      this.drain(result);
      results.push(result);
    }
    return results;
  }

  private wait(segment: WaitingSegment): void {
    this.waiting.push(segment);
    this.waitingBytes += segment.bytes.length;
  }

  /** Appends the part of the segment the stream has not had yet (none, for a retransmission). */
  private deliver(segment: WaitingSegment, result: ReassemblyResult): void {
    const alreadyHad = -seqDistance(segment.seq, this.nextSeq!);
    if (alreadyHad >= segment.bytes.length) return;
    const fresh = alreadyHad > 0 ? segment.bytes.subarray(alreadyHad) : segment.bytes;
    result.chunks.push({ bytes: fresh, timestampNs: segment.timestampNs });
    this.nextSeq = (this.nextSeq! + fresh.length) >>> 0;
  }

  /** Delivers waiting segments that now start at or before the next expected byte. */
  private drain(result: ReassemblyResult): void {
    for (;;) {
      const index = this.waiting.findIndex((waiting) => seqDistance(waiting.seq, this.nextSeq!) <= 0);
      if (index < 0) return;
      const [segment] = this.waiting.splice(index, 1);
      this.waitingBytes -= segment!.bytes.length;
      this.deliver(segment!, result);
    }
  }

  /** Moves the expected position to the earliest waiting segment, counting the bytes lost. */
  private skipHole(result: ReassemblyResult): void {
    let earliest = this.waiting[0]!;
    for (const waiting of this.waiting) {
      if (seqDistance(waiting.seq, earliest.seq) < 0) earliest = waiting;
    }
    result.skipped += seqDistance(earliest.seq, this.nextSeq!);
    this.nextSeq = earliest.seq;
  }
}
