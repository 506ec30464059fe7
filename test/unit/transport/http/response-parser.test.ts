import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../../src/util/errors';
import { isKasaError } from '../../../support/errors';
import { MAX_HEAD_BYTES, ResponseHead, ResponseParser } from '../../../../src/transport/http/response-parser';

interface Outcome {
  head: ResponseHead | undefined;
  body: string;
  complete: boolean;
  extra: number;
}

/** Feeds `pieces` in order, then the end of the connection when `ended`; what the parser made of them. */
function feed(pieces: Buffer[], maxBody = 1 << 20, ended = false): Outcome {
  const body: Buffer[] = [];
  const parser = new ResponseParser('dev:80', { onHead: () => maxBody, onBody: (piece) => body.push(Buffer.from(piece)) });
  let extra = 0;
  for (const piece of pieces) extra += parser.push(piece);
  const complete = ended ? parser.end() : parser.complete;
  return { head: parser.head, body: Buffer.concat(body).toString('latin1'), complete, extra };
}

/** Every way to cut `text` in two, and byte by byte: each must give what it gives whole. */
function cuts(text: string): Buffer[][] {
  const bytes = Buffer.from(text, 'latin1');
  const ways: Buffer[][] = [];
  for (let i = 0; i <= bytes.length; i++) ways.push([bytes.subarray(0, i), bytes.subarray(i)]);
  ways.push([...bytes].map((byte) => Buffer.from([byte])));
  return ways;
}

function eachCut(text: string, check: (pieces: Buffer[]) => void): void {
  for (const pieces of cuts(text)) check(pieces);
}

describe('ResponseParser', () => {
  it('reads a Content-Length body at every cut; repeated fields joined, Set-Cookie kept as an array', () => {
    const text =
      'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 11\r\n' +
      'Set-Cookie: TP_SESSIONID=abc\r\nset-cookie: TIMEOUT=86400\r\nX-Note: one\r\nx-note:  two \r\n' +
      'X-Tabs:\t\tin tabs \t\r\nX-Empty: \t\r\nX-Colons: a:b: c\r\n\r\nhello world';
    eachCut(text, (pieces) => {
      const out = feed(pieces);
      assert.equal(out.complete, true);
      assert.equal(out.body, 'hello world');
      assert.equal(out.extra, 0);
      assert.equal(out.head?.status, 200);
      assert.equal(out.head?.keepAlive, true);
      assert.deepEqual(out.head?.headers['set-cookie'], ['TP_SESSIONID=abc', 'TIMEOUT=86400']);
      assert.equal(out.head?.headers['x-note'], 'one, two');
      assert.equal(out.head?.headers['content-type'], 'application/octet-stream');
      assert.equal(out.head?.headers['x-tabs'], 'in tabs', 'spaces and tabs around a value are not part of it');
      assert.equal(out.head?.headers['x-empty'], '');
      assert.equal(out.head?.headers['x-colons'], 'a:b: c', 'the name ends at the first colon');
      assert.equal(out.head?.field('x-note'), 'one, two', 'a field read alone, by its lower-case name');
      assert.equal(out.head?.field('content-length'), '11');
      assert.equal(out.head?.field('x-absent'), undefined);
    });
  });

  it('counts the bytes that follow the reply, wherever they are cut', () => {
    eachCut('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP', (pieces) => {
      const out = feed(pieces);
      assert.equal(out.body, 'ok');
      assert.equal(out.extra, 4);
    });
  });

  it('reads a chunked body with chunk extensions and trailers at every cut', () => {
    const text =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\nA ; x="y"\r\n, world!!!\r\n0\r\nX-Checksum: 1\r\nX-More: 2\r\n\r\n';
    eachCut(text, (pieces) => {
      const out = feed(pieces);
      assert.equal(out.complete, true);
      assert.equal(out.body, 'hello, world!!!');
      assert.equal(out.extra, 0);
      assert.equal(out.head?.keepAlive, true);
      assert.equal(out.head?.headers['x-checksum'], undefined, 'trailers are not headers');
    });
  });

  it('reads a body that runs to the end of the connection, which then cannot be kept', () => {
    eachCut('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it', (pieces) => {
      assert.equal(feed(pieces).complete, false, 'not whole before the end');
      const out = feed(pieces, 1 << 20, true);
      assert.equal(out.complete, true);
      assert.equal(out.body, 'all of it');
      assert.equal(out.head?.keepAlive, false);
    });
  });

  it('skips interim 1xx answers, and takes lone LF line ends', () => {
    eachCut('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\nContent-Length: 2\n\nok', (pieces) => {
      const out = feed(pieces);
      assert.equal(out.head?.status, 200);
      assert.equal(out.head?.headers['link'], undefined);
      assert.equal(out.body, 'ok');
      assert.equal(out.complete, true);
    });
  });

  it('keeps the connection only when the server says it may', () => {
    const keep = (text: string): boolean | undefined => feed([Buffer.from(text, 'latin1')]).head?.keepAlive;
    assert.equal(keep('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'), false);
    assert.equal(keep('HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 0\r\n\r\n'), false);
    assert.equal(keep('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n'), false);
    assert.equal(keep('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n'), true);
    assert.equal(keep('HTTP/1.1 200 OK\r\nConnection: CLOSE\r\nContent-Length: 0\r\n\r\n'), false, 'a token in any case');
    assert.equal(keep('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n'), true);
    assert.equal(keep('HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n'), true, 'another token is not close');
    assert.equal(keep('HTTP/1.1 200 OK\r\nConnection: upgrade\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'), false, 'close in a repeated field');
    assert.equal(keep('HTTP/1.1 204 No Content\r\n\r\n'), true);
    assert.equal(keep('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n'), true, 'a status line without reason');
    assert.equal(keep('HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n'), true, 'an empty reason');
    assert.equal(keep('HTTP/1.1 200 Tout\tva bien \u00e9\r\nContent-Length: 0\r\n\r\n'), true, 'a reason with a tab and a latin-1 letter');
  });

  it('says PROTOCOL in plain words for a malformed reply, at every cut', () => {
    const malformed: Array<[string, RegExp]> = [
      ['HTTP/2 200 OK\r\n\r\n', /status line/],
      ['HTTP/1.1 20 OK\r\n\r\n', /status line/],
      ['ICY 200 OK\r\n\r\n', /status line/],
      ['HTTP/1.2 200 OK\r\n\r\n', /status line/],
      ['HTTP/1.1 099 Low\r\n\r\n', /status line/],
      ['HTTP/1.1 2000 OK\r\n\r\n', /status line/],
      ['HTTP/1.1 2a0 OK\r\n\r\n', /status line/],
      ['HTTP/1.1  200 OK\r\n\r\n', /status line/],
      ['HTTP/1.1 200 O\x01K\r\n\r\n', /status line/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456\r\n\r\n', /Content-Length/],
      ['HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n', /Content-Length/],
      ['HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n', /Content-Length/],
      ['\r\n\r\n', /status line/],
      ['HTTP/1.1 200 OK\rX: y\r\n\r\n', /carriage return/],
      ['HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n', /header line/],
      ['HTTP/1.1 200 OK\r\nNoColon\r\n\r\n', /header line/],
      ['HTTP/1.1 200 OK\r\n: no name\r\n\r\n', /header line/],
      ['HTTP/1.1 200 OK\r\nX\u00e9: not a token\r\n\r\n', /header line/],
      ['HTTP/1.1 200 OK\r\nX(y): a separator in the name\r\n\r\n', /header line/],
      ['HTTP/1.1 200 OK\r\nX: a\r\n more\r\n\r\n', /folded over two lines/],
      ['HTTP/1.1 200 OK\r\nX: a\x01b\r\n\r\n', /control characters/],
      ['HTTP/1.1 200 OK\r\nX: a\x7fb\r\n\r\n', /control characters/],
      ['HTTP/1.1 200 OK\r\nX: a\x1bb\r\n\r\n', /control characters/],
      ['HTTP/1.1 200 O\x0bK\r\n\r\n', /status line/],
      ['HTTP/1.1 101 Switching Protocols\r\n\r\n', /switched protocols/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n', /both/],
      ['HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n', /Content-Length/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', /Content-Length/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /chunk-size/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n0\r\n\r\n', /longer than its size/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nnot a field\r\n\r\n', /trailer line/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Name: x\r\n\r\n', /trailer line/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\x7fb\r\n\r\n', /trailer line/],
    ];
    for (const [text, pattern] of malformed) {
      eachCut(text, (pieces) => assert.throws(() => feed(pieces), isKasaError(ErrorCode.PROTOCOL, pattern), JSON.stringify(text)));
    }
  });

  it('takes the same length repeated, and a chunked body announced among other codings', () => {
    const same = feed([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok')]);
    assert.equal(same.body, 'ok');
    const coded = feed([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n')]);
    assert.equal(coded.body, 'ok');
    assert.equal(coded.complete, true);
  });

  it('refuses a head past 16 KiB before the rest of it arrives, byte by byte too', () => {
    const text = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`;
    const parser = new ResponseParser('dev:80', { onHead: () => 1000, onBody: () => undefined });
    const bytes = Buffer.from(text);
    let fed = 0;
    assert.throws(() => {
      for (; fed < bytes.length; fed++) parser.push(bytes.subarray(fed, fed + 1));
    }, isKasaError(ErrorCode.PROTOCOL, /16384 bytes/));
    assert.ok(fed <= MAX_HEAD_BYTES + 1, `refused after ${fed} bytes`);
    assert.throws(() => feed([bytes]), isKasaError(ErrorCode.PROTOCOL, /16384 bytes/));
    const trailers = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`;
    assert.throws(() => feed([Buffer.from(trailers)]), isKasaError(ErrorCode.PROTOCOL, /trailer/));
  });

  it('refuses a body past the limit as TOO_LARGE as soon as it is announced or arrives', () => {
    eachCut('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n', (pieces) =>
      assert.throws(() => feed(pieces, 10), isKasaError(ErrorCode.TOO_LARGE, /a reply of 11 bytes, more than the maximum of 10 bytes/)),
    );
    eachCut('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\n', (pieces) =>
      assert.throws(() => feed(pieces, 10), isKasaError(ErrorCode.TOO_LARGE, /larger than the maximum of 10 bytes/)),
    );
    eachCut('HTTP/1.1 200 OK\r\n\r\n0123456789X', (pieces) => assert.throws(() => feed(pieces, 10), isKasaError(ErrorCode.TOO_LARGE)));
    // Exactly the limit is fine.
    assert.equal(feed([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789')], 10).body, '0123456789');
  });

  it('tells an unfinished reply from a whole one at the end of the connection', () => {
    for (const text of ['', 'HTTP/1.1 200 OK\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n']) {
      const parser = new ResponseParser('dev:80', { onHead: () => 100, onBody: () => undefined });
      parser.push(Buffer.from(text));
      assert.equal(parser.end(), false, JSON.stringify(text));
      assert.equal(parser.started, text !== '');
    }
  });
});
