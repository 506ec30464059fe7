#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, runAsProcess } from '../src/cli/io';
import { KasaError } from '../src/errors';
import { Fault, FAULT_KINDS, parseFault } from '../src/simulator/faults';
import { MAX_FLEET_SIZE } from '../src/simulator/fleet';
import { MODEL_NAMES, ModelName, isModelName } from '../src/simulator/models';
import { DEFAULT_SIMULATOR_HOST, SimulatedDevice } from '../src/simulator/server';

const DEFAULT_PORT = 9999;

export const SIM_USAGE = `Usage: tplink-sim --model <model>[,<model>...] [options]

Simulates TP-Link Kasa smart plugs and strips (Smart Home protocol, TCP and UDP) for tests and demos.

  -m, --model <names>    ${MODEL_NAMES.join(', ')}; a comma list is used in turn with --count
      --host <address>   address to listen on (default ${DEFAULT_SIMULATOR_HOST})
  -p, --port <port>      TCP and UDP port (default ${DEFAULT_PORT}; 0 = any free port); with --count,
                         the devices take the ports that follow
  -a, --alias <name>     the device's name (numbered with --count)
  -n, --count <n>        how many devices (default 1)
      --no-udp           TCP only
      --fault <kind[:n]> misbehave on every request: ${FAULT_KINDS.join(', ')};
                         n is the delay in ms, the err_code, or the announced length
  -h, --help             this text

Prints one line per device, runs until Ctrl-C (SIGINT) or SIGTERM, then exits 0.
Exit status: 0 stopped cleanly, 1 could not listen, 2 bad command line.`;

export interface SimOptions {
  models: ModelName[];
  host: string;
  port: number;
  alias?: string;
  count: number;
  udp: boolean;
  fault?: Fault;
}

/** Reads the command line; throws UsageError with a one-line reason. Returns null for --help. */
export function parseSimArgs(argv: readonly string[]): SimOptions | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        model: { type: 'string', short: 'm' },
        host: { type: 'string' },
        port: { type: 'string', short: 'p' },
        alias: { type: 'string', short: 'a' },
        count: { type: 'string', short: 'n' },
        'no-udp': { type: 'boolean' },
        fault: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return null;
  if (v.model === undefined) throw new UsageError(`say which model to simulate (--model ${MODEL_NAMES.join('|')})`);
  const models = v.model.split(',').map((name) => name.trim().toLowerCase());
  const unknown = models.find((name) => !isModelName(name));
  if (unknown !== undefined) throw new UsageError(`unknown model "${unknown}"; one of: ${MODEL_NAMES.join(', ')}`);
  const host = (v.host ?? DEFAULT_SIMULATOR_HOST).trim();
  if (host === '') throw new UsageError('--host needs an address');
  const port = wholeNumber(v.port, DEFAULT_PORT, 'port', 0, 65535);
  const count = wholeNumber(v.count, 1, 'count', 1, MAX_FLEET_SIZE);
  if (port !== 0 && port + count - 1 > 65535) throw new UsageError(`${count} devices from port ${port} go past port 65535`);
  let fault: Fault | undefined;
  if (v.fault !== undefined) {
    try {
      fault = parseFault(v.fault);
    } catch (err) {
      throw new UsageError(`invalid --fault: ${(err as Error).message}`);
    }
  }
  return {
    models: models as ModelName[],
    host,
    port,
    ...(v.alias === undefined ? {} : { alias: v.alias }),
    count,
    udp: !(v['no-udp'] ?? false),
    ...(fault === undefined ? {} : { fault }),
  };
}

function wholeNumber(text: string | undefined, fallback: number, name: string, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw new UsageError(`invalid ${name}: ${text} (${min} to ${max})`);
  return n;
}

/** Resolves with the name of the first stop signal. */
function nextStopSignal(): { promise: Promise<NodeJS.Signals>; dispose: () => void } {
  let dispose = (): void => undefined;
  const promise = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => resolve(signal);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    dispose = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  });
  return { promise, dispose };
}

/** The whole tool: starts the devices, waits for a stop signal, stops them; returns the exit status. */
export async function runSim(argv: readonly string[], io: CliIo): Promise<number> {
  let options: SimOptions | null;
  try {
    options = parseSimArgs(argv);
  } catch (err) {
    io.err(`tplink-sim: ${(err as Error).message} (see --help)`);
    return EXIT_USAGE;
  }
  if (options === null) {
    io.out(SIM_USAGE);
    return EXIT_OK;
  }
  const signal = nextStopSignal();
  const devices = Array.from({ length: options.count }, (_unused, index) => {
    const port = options.port === 0 ? 0 : options.port + index;
    const alias = options.alias === undefined ? undefined : options.count > 1 ? `${options.alias} ${index + 1}` : options.alias;
    return new SimulatedDevice({
      model: options.models[index % options.models.length]!,
      host: options.host,
      port,
      udp: options.udp,
      // A device on a fixed port keeps its ids from one run to the next.
      seed: port === 0 ? index : port,
      ...(alias === undefined ? {} : { alias }),
    });
  });
  try {
    for (const device of devices) {
      await device.start();
      if (options.fault !== undefined) device.injectFault(options.fault);
      io.out(`${device.model} ${JSON.stringify(device.state.deviceAlias)} listening on ${device.address} (${transports(device)})`);
    }
  } catch (err) {
    signal.dispose();
    await Promise.all(devices.map((device) => device.stop()));
    io.err(`tplink-sim: ${err instanceof KasaError ? err.message : String(err)}`);
    return EXIT_FAILURE;
  }
  await signal.promise;
  signal.dispose();
  await Promise.all(devices.map((device) => device.stop()));
  return EXIT_OK;
}

function transports(device: SimulatedDevice): string {
  if (device.udpPort === undefined) return 'tcp';
  return device.udpPort === device.port ? 'tcp+udp' : `tcp, udp on port ${device.udpPort}`;
}

if (require.main === module) runAsProcess(runSim);
