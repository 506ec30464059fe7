#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, runAsProcess } from '../src/cli/io';
import { KasaError } from '../src/errors';
import { formatAddress } from '../src/transport';
import {
  DEFAULT_REPLY_PORT,
  DEFAULT_TDDP_PORT,
  TddpHeader,
  TddpReply,
  TddpType,
  checkTddpReply,
  findSubtype,
  isPlausibleText,
  queryTddp,
} from '../src/tddp';

export const TDDP_CLIENT_USAGE = `Usage: tddp-client -t <host> -c <hex subtype> [-u <user>] [-p <password>] [options]

Sends one TDDP (TP-Link Device Debug Protocol) request over UDP and prints the decrypted reply.

  -t, --target <host>      address of the device (name or IP)
  -u, --username <user>    TDDP user (default admin)
  -p, --password <pass>    TDDP password (default admin)
  -c, --cmd <hex>          subtype in hex, e.g. 0a (HS110 model), 12 (device id), 14 (hardware id),
                           0e / 0f (Archer WAN link)
      --type <n>           request type (default 3, special command; 1 set config, 2 get config,
                           4 heartbeat, 7 encrypted command)
      --data <text>        data to send with the request
      --force              allow a subtype known to write MAC or ids into the device
      --timeout <s>        seconds to wait for the reply (default 5)
      --port <port>        device's TDDP port (default ${DEFAULT_TDDP_PORT})
      --reply-port <port>  local UDP port replies come to (default ${DEFAULT_REPLY_PORT}; 0 = any)
  -v, --verbose            also print the packets in hex and the digest check
  -h, --help               this text

Exit status: 0 success, 1 the device or network failed (reason on stderr), 2 bad command line.`;

interface TddpClientOptions {
  host: string;
  port: number;
  replyPort: number;
  username: string;
  password: string;
  type: number;
  subtype: number;
  data?: string;
  timeoutMs: number;
  verbose: boolean;
}

/** Reads the command line; throws UsageError with a one-line reason. Returns null for --help. */
function parseTddpClientArgs(argv: readonly string[]): TddpClientOptions | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        target: { type: 'string', short: 't' },
        username: { type: 'string', short: 'u' },
        password: { type: 'string', short: 'p' },
        cmd: { type: 'string', short: 'c' },
        type: { type: 'string' },
        data: { type: 'string' },
        force: { type: 'boolean' },
        timeout: { type: 'string' },
        port: { type: 'string' },
        'reply-port': { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return null;
  if (v.target === undefined || v.target.trim() === '') throw new UsageError('the target host is required (-t <host>)');
  if (v.cmd === undefined) throw new UsageError('the subtype is required (-c <hex>, e.g. -c 0a)');
  if (!/^(0x)?[0-9a-f]{1,2}$/i.test(v.cmd.trim())) throw new UsageError(`-c takes a subtype of one or two hex digits (00 to ff), not "${v.cmd}"`);
  const subtype = parseInt(v.cmd.trim().replace(/^0x/i, ''), 16);
  const type = parseInteger(v.type, TddpType.SPECIAL_COMMAND, 'type', 0, 0xff);
  const known = findSubtype(type, subtype);
  if (known?.destructive && !v.force) {
    throw new UsageError(`subtype 0x${hex(subtype, 2)} is destructive on ${known.devices} (${known.description}); add --force if you mean it`);
  }
  const seconds = v.timeout === undefined ? 5 : Number(v.timeout);
  if (v.timeout !== undefined && (v.timeout.trim() === '' || !(seconds > 0 && seconds <= 3600))) {
    throw new UsageError(`invalid timeout: ${v.timeout} (seconds, more than 0)`);
  }
  return {
    host: v.target.trim(),
    port: parseInteger(v.port, DEFAULT_TDDP_PORT, 'port', 1, 0xffff),
    replyPort: parseInteger(v['reply-port'], DEFAULT_REPLY_PORT, 'reply port', 0, 0xffff),
    username: v.username ?? 'admin',
    password: v.password ?? 'admin',
    type,
    subtype,
    ...(v.data === undefined ? {} : { data: v.data }),
    timeoutMs: Math.round(seconds * 1000),
    verbose: v.verbose ?? false,
  };
}

/** Whole numbers in decimal or 0x-hex. */
function parseInteger(text: string | undefined, fallback: number, name: string, min: number, max: number): number {
  if (text === undefined) return fallback;
  const trimmed = text.trim();
  const n = /^0x[0-9a-f]+$/i.test(trimmed) ? parseInt(trimmed, 16) : /^\d+$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`invalid ${name}: ${text} (${min} to ${max})`);
  return n;
}

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, '0');
}

/** The seed client's header line. */
function headerLine(label: string, header: TddpHeader): string {
  return (
    `${label} Data: Version ${hex(header.version, 2)} Type ${hex(header.type, 2)} Status ${hex(header.status, 2)} ` +
    `Length ${hex(header.length, 8)} ID ${hex(header.id, 4)} Subtype ${hex(header.subtype, 2)}`
  );
}

function requestHeader(request: Buffer): TddpHeader {
  return {
    version: request[0]!,
    type: request[1]!,
    code: request[2]!,
    status: request[3]!,
    length: request.readUInt32BE(4),
    id: request.readUInt16BE(8),
    subtype: request[10]!,
  };
}

function digestLine(reply: TddpReply): string {
  if (reply.header.digestOk === null) return 'Digest: none (TDDP v1)';
  if (reply.digestConvention === 'plaintext') return 'Digest: ok (over the plaintext)';
  if (reply.digestConvention === 'ciphertext') return 'Digest: ok (over the ciphertext)';
  return 'Digest: does not match';
}

/** The whole tool: returns the exit status. */
export async function runTddpClient(argv: readonly string[], io: CliIo): Promise<number> {
  let options: TddpClientOptions | null;
  try {
    options = parseTddpClientArgs(argv);
  } catch (err) {
    io.err(`tddp-client: ${(err as Error).message} (see --help)`);
    return EXIT_USAGE;
  }
  if (options === null) {
    io.out(TDDP_CLIENT_USAGE);
    return EXIT_OK;
  }
  const verbose = options.verbose;
  try {
    const reply = await queryTddp({
      host: options.host,
      port: options.port,
      replyPort: options.replyPort,
      username: options.username,
      password: options.password,
      type: options.type,
      subtype: options.subtype,
      ...(options.data === undefined ? {} : { data: options.data }),
      timeoutMs: options.timeoutMs,
      onRequest: (request) => {
        io.out(headerLine('Request', requestHeader(request)));
        if (verbose) io.out(`Request: ${request.toString('hex')}`);
      },
    });
    io.out(headerLine('Reply', reply.header));
    if (verbose) {
      io.out(`Reply: ${reply.raw.toString('hex')}`);
      io.out(digestLine(reply));
    }
    checkTddpReply(reply, formatAddress(options.host, options.port));
    io.out(isPlausibleText(reply.data) ? `Decrypted: ${reply.data.toString('utf8')}` : `Decrypted (hex): ${reply.data.toString('hex')}`);
    return EXIT_OK;
  } catch (err) {
    io.err(`tddp-client: ${err instanceof KasaError ? `${err.message} [${err.code}]` : String(err)}`);
    return EXIT_FAILURE;
  }
}

if (require.main === module) runAsProcess(runTddpClient);
