import type { IncomingHttpHeaders } from 'node:http';
import { malformedError, tooLargeError } from './errors';

/** Largest status line and headers accepted (and, apart, largest chunked trailers), as Node's own client. */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Largest chunk-size line, extensions included. */
const MAX_CHUNK_LINE_BYTES = 1024;

const LF = 0x0a;
const CR = 0x0d;

export interface ResponseHead {
  status: number;
  /** Names in lower case; several Set-Cookie kept as an array, other repeated fields joined by ", ". */
  headers: IncomingHttpHeaders;
  /** The server keeps the connection open after this reply. */
  keepAlive: boolean;
}

/** What the parser hands over as it reads one reply. */
export interface ResponseSink {
  /** The final head (interim 1xx ones are skipped); returns the largest body to accept. */
  onHead(head: ResponseHead): number;
  /** A piece of the body, in order (a view of the bytes pushed: copy it to keep it past the reply). */
  onBody(piece: Buffer): void;
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close' | 'done';

// Control characters are what this refuses: no other way to say so in a pattern.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const CHUNK_SIZE_LINE = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/;

/**
 * Reads one HTTP/1.x reply from the bytes of a connection, pushed as they come and cut anywhere:
 * status line and headers (bounded), then a body framed by Content-Length, by chunked transfer
 * coding, or by the end of the connection. Anything malformed is a PROTOCOL KasaError; a body past
 * the limit the sink gives is TOO_LARGE as soon as it is announced or arrives, never buffered here.
 */
export class ResponseParser {
  #state: State = 'head';
  #head: ResponseHead | undefined;
  /** Bytes of an unfinished head or line. */
  #parts: Buffer[] = [];
  #partBytes = 0;
  /** Where to resume looking for the end of the head within the bytes kept. */
  #scanFrom = 0;
  #remaining = 0;
  #received = 0;
  #maxBody = 0;
  #trailerBytes = 0;
  #sawCr = false;
  #started = false;

  constructor(
    private readonly device: string,
    private readonly sink: ResponseSink,
  ) {}

  /** Any byte of the reply has arrived. */
  get started(): boolean {
    return this.#started;
  }

  get complete(): boolean {
    return this.#state === 'done';
  }

  /** The final head, once read. */
  get head(): ResponseHead | undefined {
    return this.#head;
  }

  /**
   * Takes the next bytes of the connection. Returns how many of them came after the end of the
   * reply (bytes nobody asked for); 0 while the reply is unfinished.
   */
  push(data: Buffer): number {
    if (data.length > 0) this.#started = true;
    let at = 0;
    while (at < data.length) {
      switch (this.#state) {
        case 'head':
          at = this.#readHead(data, at);
          break;
        case 'length':
          at = this.#readKnown(data, at, 'done');
          break;
        case 'until-close':
          this.#received += data.length - at;
          if (this.#received > this.#maxBody) throw tooLargeError(this.device, this.#maxBody);
          this.sink.onBody(at === 0 ? data : data.subarray(at));
          at = data.length;
          break;
        case 'chunk-size':
          at = this.#readChunkSize(data, at);
          break;
        case 'chunk-data':
          at = this.#readKnown(data, at, 'chunk-end');
          break;
        case 'chunk-end':
          at = this.#readChunkEnd(data, at);
          break;
        case 'trailers':
          at = this.#readTrailer(data, at);
          break;
        case 'done':
          return data.length - at;
      }
    }
    return 0;
  }

  /** The connection ended: completes a body that runs to the end. Returns whether the reply is whole. */
  end(): boolean {
    if (this.#state === 'until-close') this.#state = 'done';
    return this.#state === 'done';
  }

  /**
   * Body bytes whose count is known (the whole body by Content-Length, or one chunk), already
   * checked against the limit when announced: to the sink, then `then` once all have come.
   */
  #readKnown(data: Buffer, at: number, then: State): number {
    const n = Math.min(this.#remaining, data.length - at);
    this.#remaining -= n;
    this.sink.onBody(data.subarray(at, at + n));
    if (this.#remaining === 0) this.#state = then;
    return at + n;
  }

  #readHead(data: Buffer, at: number): number {
    const rest = at === 0 ? data : data.subarray(at);
    const kept = this.#partBytes;
    const bytes = kept === 0 ? rest : Buffer.concat([...this.#parts, rest], kept + rest.length);
    const end = headEnd(bytes, this.#scanFrom);
    if (end < 0) {
      if (bytes.length > MAX_HEAD_BYTES) throw this.#headTooLarge();
      this.#parts = [bytes];
      this.#partBytes = bytes.length;
      this.#scanFrom = Math.max(0, bytes.length - 3);
      return data.length;
    }
    if (end > MAX_HEAD_BYTES) throw this.#headTooLarge();
    this.#parts = [];
    this.#partBytes = 0;
    this.#scanFrom = 0;
    this.#takeHead(bytes.toString('latin1', 0, end));
    return at + end - kept;
  }

  #headTooLarge(): Error {
    return malformedError(this.device, `its status line and headers pass ${MAX_HEAD_BYTES} bytes`);
  }

  #takeHead(text: string): void {
    const lines = splitLines(text, this.device);
    const statusLine = lines[0] ?? '';
    const code = statusCodeOf(statusLine);
    if (code < 0) throw malformedError(this.device, `the status line ${JSON.stringify(statusLine.slice(0, 60))} is not HTTP/1.0 or 1.1`);
    const headers = this.#readFields(lines);
    if (code < 200) {
      // An interim answer (100 Continue, 103 Early Hints): the real one follows. 101 was never asked for.
      if (code === 101) throw malformedError(this.device, 'it switched protocols unasked (101)');
      return;
    }
    const connection = tokens(headers['connection']);
    const http10 = statusLine.charCodeAt(7) === 0x30; // HTTP/1.0
    let keepAlive = http10 ? connection.includes('keep-alive') : !connection.includes('close');
    const head: ResponseHead = { status: code, headers, keepAlive };
    const transferEncoding = headers['transfer-encoding'];
    const contentLength = headers['content-length'];
    let length: number | undefined;
    let state: State;
    if (code === 204 || code === 304) {
      state = 'done';
    } else if (transferEncoding !== undefined) {
      if (contentLength !== undefined) throw malformedError(this.device, 'it gives both Transfer-Encoding and Content-Length');
      const codings = tokens(transferEncoding);
      // Chunked last: the body says where it ends. Otherwise only the end of the connection does.
      state = codings.at(-1) === 'chunked' ? 'chunk-size' : 'until-close';
    } else if (contentLength !== undefined) {
      length = parseContentLength(contentLength, this.device);
      state = length === 0 ? 'done' : 'length';
    } else {
      state = 'until-close';
    }
    if (state === 'until-close') keepAlive = false;
    head.keepAlive = keepAlive;
    this.#head = head;
    this.#maxBody = this.sink.onHead(head);
    if (length !== undefined && length > this.#maxBody) throw tooLargeError(this.device, this.#maxBody, length);
    this.#remaining = length ?? 0;
    this.#state = state;
  }

  #readFields(lines: string[]): IncomingHttpHeaders {
    const headers: IncomingHttpHeaders = Object.create(null) as IncomingHttpHeaders;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = nameEnd(line);
      if (colon < 0) throw malformedError(this.device, `the header line ${JSON.stringify(line.slice(0, 60))} is not "name: value"`);
      const value = fieldValue(line, colon + 1);
      if (CONTROL.test(value)) throw malformedError(this.device, `the header ${line.slice(0, colon)} holds control characters`);
      const name = line.slice(0, colon).toLowerCase();
      if (name === 'set-cookie') {
        (headers['set-cookie'] ??= []).push(value);
        continue;
      }
      const before = headers[name];
      headers[name] = before === undefined ? value : `${String(before)}, ${value}`;
    }
    return headers;
  }

  #readLine(data: Buffer, at: number, limit: number, what: string): { line: string; next: number } | undefined {
    const lf = data.indexOf(LF, at);
    const size = this.#partBytes + (lf < 0 ? data.length : lf) - at;
    if (size > limit) throw malformedError(this.device, `${what} passes ${limit} bytes`);
    if (lf < 0) {
      this.#parts.push(data.subarray(at));
      this.#partBytes = size;
      return undefined;
    }
    let line = this.#partBytes === 0 ? data.toString('latin1', at, lf) : Buffer.concat([...this.#parts, data.subarray(at, lf)]).toString('latin1');
    this.#parts = [];
    this.#partBytes = 0;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.includes('\r')) throw malformedError(this.device, `${what} holds a stray carriage return`);
    return { line, next: lf + 1 };
  }

  #readChunkSize(data: Buffer, at: number): number {
    const read = this.#readLine(data, at, MAX_CHUNK_LINE_BYTES, 'a chunk-size line');
    if (read === undefined) return data.length;
    const size = CHUNK_SIZE_LINE.exec(read.line);
    if (size === null) throw malformedError(this.device, `the chunk-size line ${JSON.stringify(read.line.slice(0, 40))} is no hexadecimal size`);
    const bytes = parseInt(size[1]!, 16);
    if (bytes === 0) {
      this.#state = 'trailers';
    } else {
      this.#received += bytes;
      if (this.#received > this.#maxBody) throw tooLargeError(this.device, this.#maxBody);
      this.#remaining = bytes;
      this.#state = 'chunk-data';
    }
    return read.next;
  }

  #readChunkEnd(data: Buffer, at: number): number {
    const byte = data[at];
    if (byte === CR && !this.#sawCr) {
      this.#sawCr = true;
      return at + 1;
    }
    if (byte !== LF) throw malformedError(this.device, 'a chunk is longer than its size says');
    this.#sawCr = false;
    this.#state = 'chunk-size';
    return at + 1;
  }

  #readTrailer(data: Buffer, at: number): number {
    const read = this.#readLine(data, at, MAX_HEAD_BYTES - this.#trailerBytes, 'the trailer fields');
    if (read === undefined) return data.length;
    this.#trailerBytes += read.next - at;
    if (read.line === '') {
      this.#state = 'done';
    } else if (nameEnd(read.line) < 0 || CONTROL.test(read.line)) {
      throw malformedError(this.device, `the trailer line ${JSON.stringify(read.line.slice(0, 60))} is not "name: value"`);
    }
    return read.next;
  }
}

/** The index just past the blank line that ends a head, or -1; looks for LF LF or LF CR LF from `from`. */
function headEnd(bytes: Buffer, from: number): number {
  let i = bytes.indexOf(LF, from);
  while (i >= 0) {
    const next = bytes[i + 1];
    if (next === LF) return i + 2;
    if (next === CR && bytes[i + 2] === LF) return i + 3;
    i = bytes.indexOf(LF, i + 1);
  }
  return -1;
}

/** The lines of a head (CR LF or a lone LF), the blank one that ends it left out. */
function splitLines(text: string, device: string): string[] {
  const lines = text.split('\n');
  lines.length -= 2; // the blank line and what follows its LF
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.includes('\r')) throw malformedError(device, 'a line of its head holds a stray carriage return');
    if (i > 0 && (line.startsWith(' ') || line.startsWith('\t'))) throw malformedError(device, 'a header is folded over two lines');
    lines[i] = line;
  }
  return lines;
}

/** The characters a header's name may hold (RFC 9110's tchar), by character code. */
const NAME_CHARS = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") NAME_CHARS[c.charCodeAt(0)] = 1;

/**
 * Where the name of a header line ends (its colon); -1 when the line is not "name: value". Read by
 * hand, not by a pattern, as it runs for every header of every reply (a match costs an array and
 * its strings each time). Lines here hold neither CR nor LF (splitLines).
 */
function nameEnd(line: string): number {
  const colon = line.indexOf(':');
  if (colon <= 0) return -1;
  for (let i = 0; i < colon; i++) {
    const code = line.charCodeAt(i);
    if (code >= NAME_CHARS.length || NAME_CHARS[code] === 0) return -1;
  }
  return colon;
}

/** A header's value: the line from `from` on, without the spaces and tabs around it. */
function fieldValue(line: string, from: number): string {
  let start = from;
  let end = line.length;
  while (start < end && isBlank(line.charCodeAt(start))) start++;
  while (end > start && isBlank(line.charCodeAt(end - 1))) end--;
  return line.slice(start, end);
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** The comma-separated tokens of a field, in lower case. */
function tokens(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const found: string[] = [];
  for (const token of String(value).split(',')) {
    const trimmed = token.trim();
    if (trimmed !== '') found.push(trimmed.toLowerCase());
  }
  return found;
}

/** A Content-Length: digits, repeated only with the same value. */
function parseContentLength(value: string | string[], device: string): number {
  // Nearly always one plain number: read without a pattern or a split.
  if (typeof value === 'string' && isDigits(value, 15)) return Number(value);
  const values = new Set(String(value).split(',').map((part) => part.trim()));
  const [only] = values;
  if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
    throw malformedError(device, `its Content-Length ${JSON.stringify(String(value).slice(0, 40))} is no single length`);
  }
  return Number(only);
}

/** 1 to `most` ASCII digits and nothing else. */
function isDigits(text: string, most: number): boolean {
  if (text.length === 0 || text.length > most) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

/**
 * The status code of "HTTP/1.x NNN reason" (HTTP/1.0 or 1.1, a code 100-999, a reason without
 * control characters), or -1. Read by hand: it runs for every reply.
 */
function statusCodeOf(line: string): number {
  if (!line.startsWith('HTTP/1.') || line.length < 12) return -1;
  const minor = line.charCodeAt(7);
  if ((minor !== 0x30 && minor !== 0x31) || line.charCodeAt(8) !== 0x20) return -1;
  const code = line.slice(9, 12);
  if (!isDigits(code, 3) || code.charCodeAt(0) === 0x30) return -1;
  if (line.length > 12 && (line.charCodeAt(12) !== 0x20 || CONTROL.test(line.slice(13)))) return -1;
  return Number(code);
}
