#!/usr/bin/env node
import { CliIo, EXIT_FAILURE, EXIT_OK, UsageError, integerOption, numberOption, parseCommandLine, runAsProcess, runTool } from '../src/cli/io';
import { KasaError } from '../src/util/errors';
import { isValidHost } from '../src/util/host-name';
import { formatAddress } from '../src/transport/transport';
import {
  DEFAULT_REPLY_PORT,
  DEFAULT_TDDP_PORT,
  TDDP_DEFAULT_LOGIN,
  TddpHeader,
  TddpReply,
  TddpType,
  checkTddpReply,
  findSubtype,
  isPlausibleText,
  queryTddp,
  readTddpHeader,
} from '../src/tddp';

export const TDDP_CLIENT_USAGE = `Usage: tddp-client -t <host> -c <hex subtype> [-u <user>] [-p <password>] [options]

Sends one TDDP (TP-Link Device Debug Protocol) request over UDP and prints the decrypted reply.

  -t, --target <host>      address of the device: an IP address or a host name
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
  const parsed = parseCommandLine({
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
  const v = parsed.values;
  if (v.help) return null;
  if (v.target === undefined || v.target.trim() === '') throw new UsageError('the target host is required (-t <host>)');
  const host = v.target.trim();
  // Checked here so a typo fails at once, before any DNS lookup or datagram.
  if (!isValidHost(host)) throw new UsageError(`-t ${JSON.stringify(host)} is not a valid host name or IP address`);
  if (v.cmd === undefined) throw new UsageError('the subtype is required (-c <hex>, e.g. -c 0a)');
  if (!/^(0x)?[0-9a-f]{1,2}$/i.test(v.cmd.trim())) throw new UsageError(`-c takes a subtype of one or two hex digits (00 to ff), not "${v.cmd}"`);
  const subtype = parseInt(v.cmd.trim().replace(/^0x/i, ''), 16);
  const type = integerOption(v.type, TddpType.SPECIAL_COMMAND, 'type', 0, 0xff);
  const known = findSubtype(type, subtype);
  if (known?.destructive && !v.force) {
    throw new UsageError(`subtype 0x${hex(subtype, 2)} is destructive on ${known.devices} (${known.description}); add --force if you mean it`);
  }
  const seconds = numberOption(v.timeout, 5, 'timeout (seconds, more than 0)', (n) => n > 0 && n <= 3600);
  return {
    host,
    port: integerOption(v.port, DEFAULT_TDDP_PORT, 'port', 1, 0xffff),
    replyPort: integerOption(v['reply-port'], DEFAULT_REPLY_PORT, 'reply port', 0, 0xffff),
    username: v.username ?? TDDP_DEFAULT_LOGIN.username,
    password: v.password ?? TDDP_DEFAULT_LOGIN.password,
    type,
    subtype,
    ...(v.data === undefined ? {} : { data: v.data }),
    timeoutMs: Math.round(seconds * 1000),
    verbose: v.verbose ?? false,
  };
}

/** Whole numbers in decimal or 0x-hex. */
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

function digestLine(reply: TddpReply): string {
  if (reply.header.digestOk === null) return 'Digest: none (TDDP v1)';
  if (reply.digestConvention === 'plaintext') return 'Digest: ok (over the plaintext)';
  if (reply.digestConvention === 'ciphertext') return 'Digest: ok (over the ciphertext)';
  return 'Digest: does not match';
}

/** The whole tool: returns the exit status. */
export function runTddpClient(argv: readonly string[], io: CliIo): Promise<number> {
  return runTool('tddp-client', TDDP_CLIENT_USAGE, argv, io, parseTddpClientArgs, (options) => query(options, io));
}

async function query(options: TddpClientOptions, io: CliIo): Promise<number> {
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
        io.out(headerLine('Request', readTddpHeader(request)));
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
