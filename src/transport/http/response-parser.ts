import type { IncomingHttpHeaders } from 'node:http';
import { malformedError, tooLargeError } from './errors';

/** Largest status line and headers accepted (and, apart, largest chunked trailers), as Node's own client. */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Largest chunk-size line, extensions included. */
const MAX_CHUNK_LINE_BYTES = 1024;

const LF = 0x0a;
const CR = 0x0d;

/**
 * The status and head of a reply. Its fields are kept as name and value pairs, and made into an
 * object only when someone asks for `headers`: a request on a kept session never does.
 */
export class ResponseHead {
  #headers: IncomingHttpHeaders | undefined;

  constructor(
    readonly status: number,
    /** The server keeps the connection open after this reply. */
    public keepAlive: boolean,
    /** Lower-case name, value, name, value... in the order sent. */
    private readonly fields: readonly string[],
  ) {}

  /** Names in lower case; several Set-Cookie kept as an array, other repeated fields joined by ", ". */
  get headers(): IncomingHttpHeaders {
    return (this.#headers ??= headersOf(this.fields));
  }

  /** The value of the field `name` (lower case), repeated ones joined by ", "; not for Set-Cookie. */
  field(name: string): string | undefined {
    const fields = this.fields;
    let value: string | undefined;
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === name) value = value === undefined ? fields[i + 1] : `${value}, ${fields[i + 1]!}`;
    }
    return value;
  }
}

/** What the parser hands over as it reads one reply. */
export interface ResponseSink {
  /** The final head (interim 1xx ones are skipped); returns the largest body to accept. */
  onHead(head: ResponseHead): number;
  /** A piece of the body, in order (a view of the bytes pushed: copy it to keep it past the reply). */
  onBody(piece: Buffer): void;
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close' | 'done';

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
    const { status, statusLine, fields } = readHeadText(text, this.device);
    if (status < 200) {
      // An interim answer (100 Continue, 103 Early Hints): the real one follows. 101 was never asked for.
      if (status === 101) throw malformedError(this.device, 'it switched protocols unasked (101)');
      return;
    }
    const head = new ResponseHead(status, true, fields);
    const connection = head.field('connection');
    const http10 = statusLine.charCodeAt(7) === 0x30; // HTTP/1.0
    let keepAlive = http10 ? listsToken(connection, 'keep-alive') : !listsToken(connection, 'close');
    const transferEncoding = head.field('transfer-encoding');
    const contentLength = head.field('content-length');
    let length: number | undefined;
    let state: State;
    if (status === 204 || status === 304) {
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
    } else if (nameEnd(read.line, 0, read.line.length) < 0 || holdsControl(read.line, 0, read.line.length)) {
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

/**
 * The status line and header fields of a head (its text up to and with the blank line), checked
 * line by line: lines end in CR LF or a lone LF, a CR anywhere else is refused, as are folded lines,
 * a line that is not "name: value" and control characters in a value. Read by index, not split
 * into lines: it runs for every reply.
 */
function readHeadText(text: string, device: string): { status: number; statusLine: string; fields: string[] } {
  for (let cr = text.indexOf('\r'); cr !== -1; cr = text.indexOf('\r', cr + 1)) {
    if (text.charCodeAt(cr + 1) !== LF) throw malformedError(device, 'a line of its head holds a stray carriage return');
  }
  let next = text.indexOf('\n') + 1;
  const statusLine = text.slice(0, lineEnd(text, next - 1));
  const status = statusCodeOf(statusLine);
  if (status < 0) throw malformedError(device, `the status line ${JSON.stringify(statusLine.slice(0, 60))} is not HTTP/1.0 or 1.1`);
  const fields: string[] = [];
  for (;;) {
    const start = next;
    const lf = text.indexOf('\n', start);
    const end = lineEnd(text, lf);
    if (end === start) break; // the blank line that ends the head
    next = lf + 1;
    if (isBlank(text.charCodeAt(start))) throw malformedError(device, 'a header is folded over two lines');
    const colon = nameEnd(text, start, end);
    if (colon < 0) throw malformedError(device, `the header line ${JSON.stringify(text.slice(start, end).slice(0, 60))} is not "name: value"`);
    let from = colon + 1;
    let to = end;
    while (from < to && isBlank(text.charCodeAt(from))) from++;
    while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
    if (holdsControl(text, from, to)) throw malformedError(device, `the header ${text.slice(start, colon)} holds control characters`);
    fields.push(text.slice(start, colon).toLowerCase(), text.slice(from, to));
  }
  return { status, statusLine, fields };
}

/** Where the line ending at the LF at `lf` ends, its CR left out. */
function lineEnd(text: string, lf: number): number {
  return lf > 0 && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
}

/** A control character (any but a tab) between `from` and `to`: what a status line, a header value or a trailer must not hold. */
function holdsControl(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

/** The header object of a head's name and value pairs. */
function headersOf(fields: readonly string[]): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = Object.create(null) as IncomingHttpHeaders;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    if (name === 'set-cookie') {
      (headers['set-cookie'] ??= []).push(value);
      continue;
    }
    const before = headers[name];
    headers[name] = before === undefined ? value : `${String(before)}, ${value}`;
  }
  return headers;
}

/** The characters a header's name may hold (RFC 9110's tchar), by character code. */
const NAME_CHARS = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") NAME_CHARS[c.charCodeAt(0)] = 1;

/**
 * Where the name of the header line from `start` to `end` ends (its colon); -1 when the line is
 * not "name: value". Read by hand, not by a pattern, as it runs for every header of every reply (a
 * match costs an array and its strings each time).
 */
function nameEnd(text: string, start: number, end: number): number {
  const colon = text.indexOf(':', start);
  if (colon <= start || colon >= end) return -1;
  for (let i = start; i < colon; i++) {
    const code = text.charCodeAt(i);
    if (code >= NAME_CHARS.length || NAME_CHARS[code] === 0) return -1;
  }
  return colon;
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** The comma-separated tokens of a field, in lower case. */
function tokens(value: string): string[] {
  const found: string[] = [];
  for (const token of value.split(',')) {
    const trimmed = token.trim();
    if (trimmed !== '') found.push(trimmed.toLowerCase());
  }
  return found;
}

/** Whether a comma-separated field lists `token` (lower case), in any case. */
function listsToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  // Nearly always a single token (Connection: keep-alive): compared without a split.
  if (!value.includes(',')) return value.trim().toLowerCase() === token;
  return tokens(value).includes(token);
}

/** A Content-Length: digits, repeated only with the same value. */
function parseContentLength(value: string, device: string): number {
  // Nearly always one plain number: read without a pattern or a split.
  if (isDigits(value, 15)) return Number(value);
  const values = new Set(value.split(',').map((part) => part.trim()));
  const [only] = values;
  if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
    throw malformedError(device, `its Content-Length ${JSON.stringify(value.slice(0, 40))} is no single length`);
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
  if (line.length > 12 && (line.charCodeAt(12) !== 0x20 || holdsControl(line, 13, line.length))) return -1;
  return Number(code);
}
