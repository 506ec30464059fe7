import { DEFAULT_BROADCAST, DISCOVERY_PORT, DiscoveredDevice, TDP_PORT, discoverDevices } from '../discovery';
import { ErrorCode, KasaError } from '../util/errors';
import { CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, integerOption, numberOption, parseCommandLine, runTool } from './io';

export const DISCOVER_USAGE = `Usage: tplink-smartplug --discover [--broadcast <addr>] [--hosts <list>] [--timeout <s>] [-q]

Lists the TP-Link devices that answer: Kasa's sysinfo on UDP port ${DISCOVERY_PORT} and TP-Link's discovery
(TDP) on UDP port ${TDP_PORT}, merged into one line per device:

  <address> model=<model> alias=<name> family=<iot|smart> encryption=<xor|klap|aes|tpap>
            port=<port> account=<needed|not needed>

The alias is "" where only TDP answered (it does not tell the name). family iot is the Kasa
protocol, smart the SMART (Tapo) one; encryption says which --transport reaches it (xor: tcp or
udp; klap, aes, tpap: those, on the port shown).

      --broadcast <addr> where to broadcast (default ${DEFAULT_BROADCAST}; with --hosts, none unless
                         given; "none" sends no broadcast)
      --hosts <list>     addresses asked directly, comma-separated or repeated ("host" or "host:port")
      --timeout <s>      seconds to listen for answers (default 3; a host list ends when all answered)
  -p, --port <port>      port of Kasa's search (default ${DISCOVERY_PORT})
      --tdp-port <port>  port of TDP (default ${TDP_PORT})
      --bind <addr>      local address to send from
  -q, --quiet            one JSON object per device and line, nothing else
  -h, --help             this text

Exit status: 0 the search ran (none found is said on stderr), 1 it failed, 2 bad command line.`;

export interface DiscoverCliOptions {
  broadcast: string | null;
  hosts: string[];
  timeoutMs: number;
  port: number;
  tdpPort: number;
  bindAddress?: string;
  quiet: boolean;
}

export function parseDiscoverArgs(argv: readonly string[]): DiscoverCliOptions | null {
  const parsed = parseCommandLine({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      discover: { type: 'boolean' },
      broadcast: { type: 'string' },
      hosts: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      port: { type: 'string', short: 'p' },
      'tdp-port': { type: 'string' },
      bind: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const v = parsed.values;
  if (v.help) return null;
  const hosts = (v.hosts ?? []).flatMap((list) => list.split(',')).map((h) => h.trim()).filter((h) => h !== '');
  if (v.hosts !== undefined && hosts.length === 0) throw new UsageError('--hosts needs at least one address');
  // A host list alone asks only those hosts: no broadcast floods a network nobody asked about.
  const wanted = v.broadcast ?? (hosts.length > 0 ? 'none' : DEFAULT_BROADCAST);
  const broadcast = wanted.trim().toLowerCase() === 'none' || wanted.trim() === '' ? null : wanted.trim();
  if (broadcast === null && hosts.length === 0) throw new UsageError('--broadcast none needs --hosts: nothing would be asked');
  return {
    broadcast,
    hosts,
    timeoutMs: numberOption(v.timeout, 3, 'timeout', (n) => n > 0 && n <= 60) * 1000,
    port: integerOption(v.port, DISCOVERY_PORT, 'port', 1, 65535),
    tdpPort: integerOption(v['tdp-port'], TDP_PORT, 'TDP port', 1, 65535),
    ...(v.bind === undefined ? {} : { bindAddress: v.bind }),
    quiet: v.quiet ?? false,
  };
}

/** The discovery mode of tplink-smartplug: returns the exit status. */
export function runDiscover(argv: readonly string[], io: CliIo): Promise<number> {
  return runTool('tplink-smartplug', DISCOVER_USAGE, argv, io, parseDiscoverArgs, (options) => search(options, io));
}

async function search(options: DiscoverCliOptions, io: CliIo): Promise<number> {
  let devices: DiscoveredDevice[];
  try {
    devices = await discoverDevices({
      broadcast: options.broadcast,
      hosts: options.hosts,
      timeoutMs: options.timeoutMs,
      port: options.port,
      tdpPort: options.tdpPort,
      ...(options.bindAddress === undefined ? {} : { bindAddress: options.bindAddress }),
    });
  } catch (err) {
    // A bad address is the command line's fault, found by the search's own checks.
    const usage = err instanceof KasaError && err.code === ErrorCode.BAD_INPUT;
    io.err(`tplink-smartplug: ${err instanceof KasaError ? `${err.message} [${err.code}]` : String(err)}${usage ? ' (see --help)' : ''}`);
    return usage ? EXIT_USAGE : EXIT_FAILURE;
  }
  for (const device of devices) io.out(options.quiet ? JSON.stringify(device) : describeDevice(device));
  if (devices.length === 0) {
    const asked = [options.broadcast === null ? '' : `broadcast ${options.broadcast}`, options.hosts.length === 0 ? '' : `${options.hosts.length} host(s)`].filter(Boolean);
    io.err(`tplink-smartplug: no device answered (${asked.join(', ')}; ${options.timeoutMs / 1000} s)`);
  }
  return EXIT_OK;
}

/** One line a person reads and a script can split on spaces (the alias is JSON-quoted). */
export function describeDevice(device: DiscoveredDevice): string {
  const port = device.httpPort ?? device.port;
  return [
    device.host,
    `model=${device.model || '?'}`,
    `alias=${JSON.stringify(device.alias)}`,
    `family=${device.family}`,
    `encryption=${device.encryption}`,
    `port=${port}`,
    `account=${device.needsAccount ? 'needed' : 'not needed'}`,
    device.hub ? 'kind=hub' : '',
  ]
    .filter(Boolean)
    .join(' ');
}
