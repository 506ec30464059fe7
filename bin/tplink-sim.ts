#!/usr/bin/env node
import { CliIo, EXIT_FAILURE, EXIT_OK, UsageError, integerOption, parseCommandLine, runAsProcess, runTool } from '../src/cli/io';
import { KasaError } from '../src/util/errors';
import { Fault, FAULT_KINDS, parseFault } from '../src/simulator/faults';
import { MAX_FLEET_SIZE } from '../src/simulator/fleet';
import { MODEL_NAMES, ModelName, isModelName } from '../src/simulator/models';
import { DEFAULT_SIMULATOR_HOST, SimulatedDevice } from '../src/simulator/server';
import type { KlapVersion } from '../src/transport/klap';
import { KlapServer } from '../src/simulator/klap-server';
import { SMART_MODEL_NAMES, SmartModelName, isSmartModelName, smartModelSpec } from '../src/simulator/smart/models';
import { SmartSimulatedDevice } from '../src/simulator/smart/server';
import { DEMO_EVENTS, HUB_COMMAND_HELP, describeChildren, describeFired, fireOn, parseHubCommand } from '../src/simulator/smart/hub-commands';
import type { SimHub } from '../src/simulator/smart/hub';
import type { HubEvent } from '../src/simulator/smart/hub-kinds';
import { createInterface } from 'node:readline';
import { TddpResponder } from '../src/simulator/tddp-responder';

const DEFAULT_PORT = 9999;

export const SIM_USAGE = `Usage: tplink-sim --model <model>[,<model>...] [options]

Simulates TP-Link Kasa smart plugs, strips, wall switches and dimmers (Smart Home protocol, TCP
and UDP), and Tapo / newer Kasa plugs, strips, dimmers, lights and hubs (SMART protocol over KLAP v2,
AES or TPAP, HTTP) for tests and demos.

  -m, --model <names>    ${MODEL_NAMES.join(', ')};
                         SMART: ${SMART_MODEL_NAMES.join(', ')} (KLAP v2 or AES on --port, or on --klap when given);
                         a comma list is used in turn with --count
      --host <address>   address to listen on (default ${DEFAULT_SIMULATOR_HOST})
  -p, --port <port>      TCP and UDP port (default ${DEFAULT_PORT}; 0 = any free port); with --count,
                         the devices take the ports that follow
  -a, --alias <name>     the device's name (numbered with --count)
  -n, --count <n>        how many devices (default 1)
      --no-udp           TCP only
      --fault <kind[:n]> misbehave on every request: ${FAULT_KINDS.join(', ')};
                         n is the delay in ms, the err_code, or the announced length;
                         SMART models take delay:<ms> only
      --klap <port>      also answer KLAP (newer firmware, HTTP) on this port, e.g. 8080
      --klap-version <v> 1 or 2 (default 2)
      --transport <t>    SMART models: klap (default), aes (older Tapo firmware's securePassthrough)
                         or tpap (2025 firmware's SPAKE2+ login, plain HTTP)
      --login-version <v>  AES: 1 (default, password) or 2 (password2)
  -u, --username <e-mail>, -P, --password <pw>
                         the account the KLAP device is bound to; without them it is unbound
                         and accepts the Kasa default credentials (SMART models: the Tapo default)
      --session-timeout <s>     KLAP session lifetime announced and enforced (default 86400)
      --drop-session-after <n>  KLAP: answer 403 after n requests of a session, as after a reboot
      --tdp-port <port>  where SMART models, and Kasa models with --klap (newer firmware), answer
                         TP-Link's discovery (UDP; default 20002, or any free port when taken;
                         with --count, the ports that follow; 0 = any free port)
      --tddp <port>      also answer TDDP (debug protocol, UDP) on this port, e.g. 1040
      --tddp-reply-port <port>  where TDDP replies go (default 61000; 0 = to the sender's port)
      --fire-every <ms>  hubs (h100, kh100): fire an event on one child after another every <ms>
                         (motion, open, temperature, press, leak, ...), one line each, for demos
      --child-batches <accept|refuse>  hubs and strips: answer several control_child in one
                         multipleRequest (default accept), or refuse each of them (-1002)
  -h, --help             this text

A hub has one child of each kind: motion (T100), contact (T110), leak (T300), climate (T315),
button (S200B), switch (S210), trv (KE100). While it runs, make them fire:
${HUB_COMMAND_HELP.split('\n').slice(1).join('\n')}
e.g. "fire motion", "fire open t110", "fire rotate 90", "fire temperature 27.5 climate".

Prints one line per device, runs until Ctrl-C (SIGINT) or SIGTERM, then exits 0.
Exit status: 0 stopped cleanly, 1 could not listen, 2 bad command line.`;

export interface SimOptions {
  models: Array<ModelName | SmartModelName>;
  host: string;
  port: number;
  alias?: string;
  count: number;
  udp: boolean;
  fault?: Fault;
  klap?: { port: number; version: KlapVersion; username?: string; password?: string; sessionTimeoutSeconds?: number; invalidateAfter?: number };
  /** Credentials, session faults and transport of the SMART models (KLAP v2 or AES). */
  smart?: { transport: 'klap' | 'aes' | 'tpap'; loginVersion?: 1 | 2; username?: string; password?: string; sessionTimeoutSeconds?: number; invalidateAfter?: number };
  tddp?: { port: number; replyPort: number };
  /** TDP discovery port of the first device; undefined: 20002, or any free port when taken. */
  tdpPort?: number;
  /** Hubs: fire a demo event every so many ms. */
  fireEveryMs?: number;
  /** Hubs and strips: several control_child in one multipleRequest, taken or refused. */
  childBatches?: 'accept' | 'refuse';
}

/** Reads the command line; throws UsageError with a one-line reason. Returns null for --help. */
export function parseSimArgs(argv: readonly string[]): SimOptions | null {
  const parsed = parseCommandLine({
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
      klap: { type: 'string' },
      'klap-version': { type: 'string' },
      transport: { type: 'string' },
      'login-version': { type: 'string' },
      'session-timeout': { type: 'string' },
      'drop-session-after': { type: 'string' },
      username: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'P' },
      tddp: { type: 'string' },
      'tdp-port': { type: 'string' },
      'tddp-reply-port': { type: 'string' },
      'fire-every': { type: 'string' },
      'child-batches': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const v = parsed.values;
  if (v.help) return null;
  const allModels = [...MODEL_NAMES, ...SMART_MODEL_NAMES];
  if (v.model === undefined) throw new UsageError(`say which model to simulate (--model ${allModels.join('|')})`);
  const models = v.model.split(',').map((name) => name.trim().toLowerCase());
  const unknown = models.find((name) => !isModelName(name) && !isSmartModelName(name));
  if (unknown !== undefined) throw new UsageError(`unknown model "${unknown}"; one of: ${allModels.join(', ')}`);
  const anySmart = models.some(isSmartModelName);
  const host = (v.host ?? DEFAULT_SIMULATOR_HOST).trim();
  if (host === '') throw new UsageError('--host needs an address');
  const port = integerOption(v.port, DEFAULT_PORT, 'port', 0, 65535);
  const count = integerOption(v.count, 1, 'count', 1, MAX_FLEET_SIZE);
  if (port !== 0 && port + count - 1 > 65535) throw new UsageError(`${count} devices from port ${port} go past port 65535`);
  let fault: Fault | undefined;
  if (v.fault !== undefined) {
    try {
      fault = parseFault(v.fault);
    } catch (err) {
      throw new UsageError(`invalid --fault: ${(err as Error).message}`);
    }
  }
  if (anySmart && fault !== undefined && fault.kind !== 'delay') throw new UsageError('SMART models take only --fault delay:<ms>');
  const klapVersion = integerOption(v['klap-version'], 2, 'KLAP version', 1, 2) as KlapVersion;
  if (anySmart && klapVersion !== 2) throw new UsageError('SMART models speak KLAP v2 only');
  const transportName = v.transport ?? 'klap';
  if (transportName !== 'klap' && transportName !== 'aes' && transportName !== 'tpap') throw new UsageError(`unknown transport "${transportName}"; one of: klap, aes, tpap`);
  const smartTransport: 'klap' | 'aes' | 'tpap' = transportName;
  if (v.transport !== undefined && !anySmart) throw new UsageError('--transport is for the SMART models');
  const loginVersion = v['login-version'] === undefined ? undefined : (integerOption(v['login-version'], 1, 'login version', 1, 2) as 1 | 2);
  if (loginVersion !== undefined && smartTransport !== 'aes') throw new UsageError('--login-version goes with --transport aes');
  const sessionTimeout = v['session-timeout'] === undefined ? undefined : integerOption(v['session-timeout'], 86_400, 'session timeout', 1, 86_400);
  const dropAfter = v['drop-session-after'] === undefined ? undefined : integerOption(v['drop-session-after'], 1, 'requests per session', 1, 1_000_000);
  if ((v.username === undefined) !== (v.password === undefined)) throw new UsageError('give both --username and --password, or neither');
  const klap =
    v.klap === undefined
      ? undefined
      : {
          port: integerOption(v.klap, 0, 'KLAP port', 0, 65535),
          version: klapVersion,
          ...(v.username === undefined ? {} : { username: v.username, password: v.password! }),
          ...(sessionTimeout === undefined ? {} : { sessionTimeoutSeconds: sessionTimeout }),
          ...(dropAfter === undefined ? {} : { invalidateAfter: dropAfter }),
        };
  const smart = anySmart
    ? {
        transport: smartTransport,
        ...(loginVersion === undefined ? {} : { loginVersion }),
        ...(v.username === undefined ? {} : { username: v.username, password: v.password! }),
        ...(sessionTimeout === undefined ? {} : { sessionTimeoutSeconds: sessionTimeout }),
        ...(dropAfter === undefined ? {} : { invalidateAfter: dropAfter }),
      }
    : undefined;
  const tddp =
    v.tddp === undefined
      ? undefined
      : { port: integerOption(v.tddp, 0, 'TDDP port', 0, 65535), replyPort: integerOption(v['tddp-reply-port'], 61000, 'TDDP reply port', 0, 65535) };
  const tdpPort = v['tdp-port'] === undefined ? undefined : integerOption(v['tdp-port'], 0, 'TDP port', 0, 65535);
  const anyHub = models.some((name) => isSmartModelName(name) && smartModelSpec(name).hub === true);
  const fireEveryMs = v['fire-every'] === undefined ? undefined : integerOption(v['fire-every'], 1000, 'interval of --fire-every (ms)', 100, 3_600_000);
  if (fireEveryMs !== undefined && !anyHub) throw new UsageError('--fire-every is for hubs (h100, kh100)');
  const childBatches = v['child-batches'];
  if (childBatches !== undefined && childBatches !== 'accept' && childBatches !== 'refuse') throw new UsageError(`--child-batches takes accept or refuse, not "${childBatches}"`);
  if (childBatches !== undefined && !anySmart) throw new UsageError('--child-batches is for the SMART models');
  if (tdpPort !== undefined && tdpPort !== 0 && tdpPort + count - 1 > 65535) throw new UsageError(`${count} devices from TDP port ${tdpPort} go past port 65535`);
  return {
    models: models as Array<ModelName | SmartModelName>,
    ...(tdpPort === undefined ? {} : { tdpPort }),
    ...(klap === undefined ? {} : { klap }),
    ...(smart === undefined ? {} : { smart }),
    ...(tddp === undefined ? {} : { tddp }),
    ...(fireEveryMs === undefined ? {} : { fireEveryMs }),
    ...(childBatches === undefined ? {} : { childBatches }),
    host,
    port,
    ...(v.alias === undefined ? {} : { alias: v.alias }),
    count,
    udp: !(v['no-udp'] ?? false),
    ...(fault === undefined ? {} : { fault }),
  };
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

/**
 * The whole tool: starts the devices, waits for a stop signal, stops them; returns the exit status.
 * Hubs read commands from `input` (standard input when run as a process).
 */
export function runSim(argv: readonly string[], io: CliIo, input?: NodeJS.ReadableStream): Promise<number> {
  return runTool('tplink-sim', SIM_USAGE, argv, io, parseSimArgs, (options) => simulate(options, io, input));
}

async function simulate(options: SimOptions, io: CliIo, input: NodeJS.ReadableStream | undefined): Promise<number> {
  const signal = nextStopSignal();
  const parts: Array<{ stop(): Promise<void> }> = [];
  const stopAll = () => Promise.all(parts.map((part) => part.stop()));
  const hubs: Array<{ name: string; hub: SimHub }> = [];
  try {
    for (let index = 0; index < options.count; index++) {
      const model = options.models[index % options.models.length]!;
      const alias = options.alias === undefined ? undefined : options.count > 1 ? `${options.alias} ${index + 1}` : options.alias;
      if (isSmartModelName(model)) {
        const device = await startSmart(model, options, index, alias, io);
        parts.push(device);
        if (device.device.hub !== undefined) hubs.push({ name: `${model} ${JSON.stringify(device.device.relay.nickname)}`, hub: device.device.hub });
        continue;
      }
      const port = options.port === 0 ? 0 : options.port + index;
      // Newer firmware (--klap) also answers TP-Link's discovery, naming its KLAP port.
      let klapServer: KlapServer | undefined;
      const tdpPort = tdpPortOf(options, index);
      const device = new SimulatedDevice({
        model,
        host: options.host,
        port,
        udp: options.udp,
        // A device on a fixed port keeps its ids from one run to the next.
        seed: port === 0 ? index : port,
        ...(alias === undefined ? {} : { alias }),
        ...(options.klap === undefined
          ? {}
          : {
              newFirmware: {
                klapPort: () => klapServer?.port ?? 0,
                ...(options.klap.username === undefined ? {} : { username: options.klap.username }),
                ...(tdpPort === undefined ? {} : { tdpPort }),
              },
            }),
      });
      parts.push(device);
      await device.start();
      if (options.fault !== undefined) device.injectFault(options.fault);
      io.out(`${device.model} ${JSON.stringify(device.state.deviceAlias)} listening on ${device.address} (${transports(device)})`);
      if (options.klap !== undefined) {
        klapServer = await startKlap(device, options.klap, index, options.host, io);
        parts.push(klapServer);
        if (device.tdpPort !== undefined) io.out(`  TDP discovery on ${options.host}:${device.tdpPort} (UDP)`);
      }
      if (options.tddp !== undefined) parts.push(await startTddp(options.tddp, index, options.host, io));
    }
  } catch (err) {
    signal.dispose();
    await stopAll();
    io.err(`tplink-sim: ${err instanceof KasaError ? err.message : String(err)}`);
    return EXIT_FAILURE;
  }
  const hubControl = hubs.length === 0 ? undefined : controlHubs(hubs, options.fireEveryMs, input, io);
  await signal.promise;
  signal.dispose();
  hubControl?.stop();
  await stopAll();
  return EXIT_OK;
}

/**
 * Lets a person or a demo script make the hubs' children fire: commands read line by line from
 * `input`, and with --fire-every a demo event on one child after another. Returns how to stop both.
 */
function controlHubs(hubs: ReadonlyArray<{ name: string; hub: SimHub }>, fireEveryMs: number | undefined, input: NodeJS.ReadableStream | undefined, io: CliIo): { stop(): void } {
  const fire = (run: (hub: SimHub) => string): void => {
    for (const { name, hub } of hubs) {
      try {
        io.out(`${name}: ${run(hub)}`);
      } catch (err) {
        io.err(`${name}: ${err instanceof KasaError ? err.message : String(err)}`);
      }
    }
  };
  const fireEvent = (event: HubEvent, child?: string): void =>
    fire((hub) => {
      const fired = fireOn(hub, event, child);
      return describeFired(fired.child, event, fired.entry);
    });
  const lines = input === undefined ? undefined : createInterface({ input, terminal: false });
  lines?.on('line', (line) => {
    let command;
    try {
      command = parseHubCommand(line);
    } catch (err) {
      io.err(err instanceof KasaError ? err.message : String(err));
      return;
    }
    if (command === undefined) return;
    if (command.kind === 'help') io.out(HUB_COMMAND_HELP);
    else if (command.kind === 'list') for (const { name, hub } of hubs) for (const line of describeChildren(hub)) io.out(`${name}: ${line}`);
    else fireEvent(command.event, command.child);
  });
  io.out(`  hub commands on standard input (e.g. "fire motion", "list", "help")${fireEveryMs === undefined ? '' : `; a demo event every ${fireEveryMs} ms`}`);
  let step = 0;
  const timer =
    fireEveryMs === undefined
      ? undefined
      : setInterval(() => {
          const { child, event } = DEMO_EVENTS[step++ % DEMO_EVENTS.length]!;
          fireEvent(event, child);
        }, fireEveryMs);
  return {
    stop: () => {
      if (timer !== undefined) clearInterval(timer);
      lines?.close();
    },
  };
}

/** A SMART device: KLAP v2, AES or TPAP, on --klap's port when given, else on --port. */
async function startSmart(model: SmartModelName, options: SimOptions, index: number, alias: string | undefined, io: CliIo): Promise<SmartSimulatedDevice> {
  const base = options.klap?.port ?? options.port;
  const port = base === 0 ? 0 : base + index;
  const smart = options.smart ?? { transport: 'klap' };
  const tdpPort = tdpPortOf(options, index);
  const device = new SmartSimulatedDevice({
    model,
    transport: smart.transport,
    ...(smart.loginVersion === undefined ? {} : { loginVersion: smart.loginVersion }),
    host: options.host,
    port,
    ...(tdpPort === undefined ? {} : { tdpPort }),
    seed: port === 0 ? index : port,
    ...(alias === undefined ? {} : { nickname: alias }),
    ...(smart.username === undefined ? {} : { username: smart.username, password: smart.password ?? '' }),
    ...(smart.sessionTimeoutSeconds === undefined ? {} : { sessionTimeoutSeconds: smart.sessionTimeoutSeconds }),
    ...(smart.invalidateAfter === undefined ? {} : { invalidateAfter: smart.invalidateAfter }),
    ...(options.fault?.kind === 'delay' ? { replyDelayMs: options.fault.ms } : {}),
    ...(options.childBatches === undefined ? {} : { controlChildInBatch: options.childBatches }),
  });
  await device.start();
  const unbound = smart.transport === 'tpap' ? 'unbound: default passcode from its MAC' : 'unbound: Tapo default credentials';
  const account = smart.username === undefined ? unbound : `bound to ${smart.username}`;
  const login = smart.transport === 'aes' ? `AES, login version ${smart.loginVersion ?? 1}` : smart.transport === 'tpap' ? 'TPAP' : 'KLAP v2';
  io.out(`${model} ${JSON.stringify(device.device.relay.nickname)} listening on ${device.address} (SMART over ${login}, ${account})`);
  if (device.tdpPort !== undefined) io.out(`  TDP discovery on ${options.host}:${device.tdpPort} (UDP)`);
  return device;
}

/** The same device state behind a KLAP server: one plug, seen through both protocols. */
async function startKlap(device: SimulatedDevice, klap: NonNullable<SimOptions['klap']>, index: number, host: string, io: CliIo): Promise<KlapServer> {
  const server = new KlapServer({
    host,
    port: klap.port === 0 ? 0 : klap.port + index,
    version: klap.version,
    bound: klap.username !== undefined,
    ...(klap.username === undefined ? {} : { username: klap.username, password: klap.password }),
    handle: (json) => JSON.stringify(device.state.handle(JSON.parse(json))),
    ...(klap.sessionTimeoutSeconds === undefined ? {} : { sessionTimeoutSeconds: klap.sessionTimeoutSeconds }),
    ...(klap.invalidateAfter === undefined ? {} : { invalidateAfter: klap.invalidateAfter }),
  });
  await server.start();
  const account = klap.username === undefined ? 'unbound: Kasa default credentials' : `bound to ${klap.username}`;
  io.out(`  KLAP v${klap.version} on ${host}:${server.port} (${account})`);
  return server;
}

async function startTddp(tddp: NonNullable<SimOptions['tddp']>, index: number, host: string, io: CliIo): Promise<TddpResponder> {
  const responder = new TddpResponder({
    host,
    port: tddp.port === 0 ? 0 : tddp.port + index,
    profile: 'hs110',
    replyTo: tddp.replyPort === 0 ? 'source-port' : 'reply-port',
    replyPort: tddp.replyPort,
  });
  await responder.start();
  io.out(`  TDDP on ${host}:${responder.port} (UDP, replies to ${tddp.replyPort === 0 ? 'the sender' : `port ${tddp.replyPort}`})`);
  return responder;
}

/** The device's TDP port: the given one plus its index (0 stays any free port); undefined: the default. */
function tdpPortOf(options: SimOptions, index: number): number | undefined {
  if (options.tdpPort === undefined) return undefined;
  return options.tdpPort === 0 ? 0 : options.tdpPort + index;
}

function transports(device: SimulatedDevice): string {
  if (device.udpPort === undefined) return 'tcp';
  return device.udpPort === device.port ? 'tcp+udp' : `tcp, udp on port ${device.udpPort}`;
}

if (require.main === module) runAsProcess((argv, io) => runSim(argv, io, process.stdin));
