import { ErrorCode, KasaError } from '../util/errors';
import { HEADER_BYTES } from './xor-cipher';

export const DEFAULT_MAX_REPLY_BYTES = 1024 * 1024;

/**
 * Cuts a TCP byte stream into length-prefixed frames. Segments are kept as they arrive and joined
 * only once a whole frame is there, so a frame split over many segments costs one copy, and a
 * length header that lies (say 4 GiB) is refused before any buffer of that size exists.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1;

  constructor(private readonly maxFrameBytes: number = DEFAULT_MAX_REPLY_BYTES) {}

  /** Bytes received that do not yet form a whole frame. */
  get pendingBytes(): number {
    return this.expected < 0 ? this.buffered : this.buffered + HEADER_BYTES;
  }

  /**
   * Adds a segment and returns the payloads (still encrypted) of every frame it completes.
   * Throws KasaError(TOO_LARGE) when a header announces more than the maximum.
   */
  push(segment: Buffer): Buffer[] {
    if (segment.length === 0) return [];
    this.chunks.push(segment);
    this.buffered += segment.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < HEADER_BYTES) break;
        const length = this.peekUInt32();
        if (length > this.maxFrameBytes) {
          this.reset();
          throw new KasaError(
            ErrorCode.TOO_LARGE,
            `The reply announced ${length} bytes, more than the maximum of ${this.maxFrameBytes}.`,
          );
        }
        this.take(HEADER_BYTES);
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      frames.push(this.take(this.expected));
      this.expected = -1;
    }
    return frames;
  }

  reset(): void {
    this.chunks = [];
    this.buffered = 0;
    this.expected = -1;
  }

  private peekUInt32(): number {
    const first = this.chunks[0]!;
    if (first.length >= HEADER_BYTES) return first.readUInt32BE(0);
    return Buffer.concat(this.chunks, HEADER_BYTES).readUInt32BE(0);
  }

  /** Removes and returns the next `count` buffered bytes. */
  private take(count: number): Buffer {
    this.buffered -= count;
    const first = this.chunks[0];
    if (count === 0) return Buffer.alloc(0);
    if (first !== undefined && first.length >= count) {
      if (first.length === count) this.chunks.shift();
      else this.chunks[0] = first.subarray(count);
      return first.subarray(0, count);
    }
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.chunks[0]!;
      const n = Math.min(chunk.length, count - filled);
      chunk.copy(out, filled, 0, n);
      filled += n;
      if (n === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(n);
    }
    return out;
  }
}
