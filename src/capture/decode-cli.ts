import { readFile } from 'node:fs/promises';
import { CliIo, EXIT_FAILURE, EXIT_OK, UsageError, integerOption, parseCommandLine, runTool } from '../cli/io';
import { KasaError } from '../util/errors';
import { deriveTddpKey } from '../tddp/des';
import { TDDP_DEFAULT_LOGIN } from '../tddp/login';
import { DEFAULT_SMARTHOME_PORT, decodeCapture } from './decoder';
import { DEFAULT_HTTP_PORT } from './http-exchange';

export const DECODE_USAGE = `Usage: tplink-decode [-r] <capture> [options]
       tplink-decode [options] < capture

Prints every TP-Link Smart Home (XOR, TCP/UDP ${DEFAULT_SMARTHOME_PORT}) and TDDP (UDP 1040/61000)
message of a pcap or pcapng capture, decrypted, one JSON object per line:
  {"time", "src", "dst", "protocol": "smarthome"|"tddp", "transport": "tcp"|"udp",
   "direction": "request"|"reply", "payload", and for TDDP "header", "digestOk", "dataHex"}
TP-Link's discovery (TDP, UDP 20002/20004) comes as "protocol": "tdp" with "tdpHeader" and "crcOk";
KLAP and AES on TCP port 80 (or --http-port) as "protocol": "klap"|"aes" with "step", "seq" (KLAP),
"http" and a "note": their payloads are encrypted per session and cannot be decoded without it.

  -r, --read <file>      the capture to read ("-" or nothing: standard input)
  -u, --username <name>  TDDP username (default admin)
  -p, --password <pass>  TDDP password (default admin)
      --port <port>      a Smart Home port besides ${DEFAULT_SMARTHOME_PORT}; repeat for several
      --http-port <port> a KLAP/AES HTTP port besides ${DEFAULT_HTTP_PORT} (a simulator's, a port mapping); repeat for several
  -h, --help             this text

Exit status: 0 success, 1 the capture cannot be read (reason on stderr), 2 bad command line.`;

export interface DecodeCliOptions {
  /** Path of the capture, or undefined for standard input. */
  file: string | undefined;
  username: string;
  password: string;
  ports: number[];
  /** The HTTP ports whose KLAP and AES exchanges are labelled. */
  httpPorts: number[];
}

/** Reads the command line; throws UsageError with a one-line reason. Returns null for --help. */
export function parseDecodeArgs(argv: readonly string[]): DecodeCliOptions | null {
  const parsed = parseCommandLine({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      read: { type: 'string', short: 'r' },
      username: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'p' },
      port: { type: 'string', multiple: true },
      'http-port': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const v = parsed.values;
  if (v.help) return null;
  if (parsed.positionals.length > 1 || (parsed.positionals.length === 1 && v.read !== undefined)) {
    throw new UsageError('give one capture file, either with -r or as the only argument');
  }
  const file = v.read ?? parsed.positionals[0];
  const ports = [DEFAULT_SMARTHOME_PORT, ...(v.port ?? []).map((text) => integerOption(text, 0, 'port', 1, 65535))];
  const httpPorts = [DEFAULT_HTTP_PORT, ...(v['http-port'] ?? []).map((text) => integerOption(text, 0, 'HTTP port', 1, 65535))];
  return {
    file: file === '-' ? undefined : file,
    username: v.username ?? TDDP_DEFAULT_LOGIN.username,
    password: v.password ?? TDDP_DEFAULT_LOGIN.password,
    ports,
    httpPorts,
  };
}

async function readInput(file: string | undefined, stdin: NodeJS.ReadableStream): Promise<Buffer> {
  if (file !== undefined) return await readFile(file);
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** The whole tool: returns the exit status. */
export function runDecode(argv: readonly string[], io: CliIo, stdin: NodeJS.ReadableStream = process.stdin): Promise<number> {
  return runTool('tplink-decode', DECODE_USAGE, argv, io, parseDecodeArgs, (options) => decodeFile(options, io, stdin));
}

async function decodeFile(options: DecodeCliOptions, io: CliIo, stdin: NodeJS.ReadableStream): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = await readInput(options.file, stdin);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    io.err(`tplink-decode: cannot read ${options.file ?? 'standard input'}: ${reason}`);
    return EXIT_FAILURE;
  }
  let decoded;
  try {
    decoded = decodeCapture(bytes, {
      smartHomePorts: options.ports,
      httpPorts: options.httpPorts,
      tddpKey: deriveTddpKey(options.username, options.password),
    });
  } catch (err) {
    if (!(err instanceof KasaError)) throw err;
    io.err(`tplink-decode: ${err.message}`);
    return EXIT_FAILURE;
  }
  for (const message of decoded.messages) io.out(JSON.stringify(message));
  for (const warning of decoded.warnings) io.err(`tplink-decode: warning: ${warning}`);
  return EXIT_OK;
}
