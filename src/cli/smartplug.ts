import { DEFAULT_PORT } from '../family/iot/client';
import { parseAction, parseOutletSelectors, runAction } from '../device/actions';
import { lightOutput } from '../device/light';
import { LightCommand, parseLightInput } from '../device/light-input';
import { PRESETS, PresetName, destructiveMethods, isPresetName } from '../family/iot/commands';
import type { Device, OutletSelector, Target } from '../device/device';
import { connectDevice } from '../family/connect';
import { smartDestructiveMethods } from '../family/smart/commands';
import { checkSmartRequest } from '../family/smart/envelope';
import { ErrorCode, KasaError } from '../util/errors';
import { isValidHost } from '../util/host-name';
import { KLAP_DEFAULT_PORT } from '../transport/klap';
import { TRANSPORT_CHOICES, TransportChoice, isTransportChoice } from '../transport/factory';
import { isObject } from '../util/json';
import type { OutletInfo } from '../device/state';
import { CHILD_KIND_LABELS } from '../device/kind';
import { displayText } from '../util/display-text';
import type { ExchangeTrace } from '../util/trace';
import { runDiscover } from './discover';
import { CliIo, EXIT_FAILURE, EXIT_OK, UsageError, integerOption, numberOption, parseCommandLine, runTool } from './io';

/**
 * KLAP and AES are HTTP: a port that drops the connection before anything was exchanged is most
 * likely not the device's HTTP port (9999, the older Kasa protocol's, reads an HTTP request as a
 * frame it cannot use and closes), which a bare RESET does not tell.
 */
function httpHint(err: KasaError, options: SmartplugOptions, exchanged: boolean): string {
  if ((options.transport !== 'klap' && options.transport !== 'aes') || err.code !== ErrorCode.RESET || exchanged) return '';
  return (
    ` --transport ${options.transport} speaks HTTP, and port ${options.klapPort} closed the connection without an HTTP answer: is it the device's HTTP port ` +
    `(80 unless the device announces another; --discover shows it)? Port ${DEFAULT_PORT} is the older Kasa protocol's: there use --transport tcp or auto.`
  );
}

/** Where this tool takes the TP-Link account a refusing device wants (the core's message does not say where). */
function accountHint(err: KasaError): string {
  return err.code === ErrorCode.AUTH && err.message.includes('TP-Link account') ? ' On this command line: -u <e-mail> and -P <password> (or TPLINK_PASSWORD).' : '';
}

export const SMARTPLUG_USAGE = `Usage: tplink-smartplug -t <host> [-p <port>] (-c <command> | -j <json> | <light options>) [-o <outlet>]... [options]

Sends one command to a TP-Link Kasa smart plug or strip (Smart Home protocol, port 9999), or over
KLAP (--transport klap or auto) to a Kasa device or to a Tapo one and newer Kasa hardware (the
SMART protocol: P110, P110M, P300, KP125M, ...), found out by the first request, or over AES
(--transport aes: older Tapo firmware, always SMART) or TPAP (--transport tpap: 2025 firmware,
always SMART).

       tplink-smartplug --discover [--broadcast <addr>] [--hosts <list>] [--timeout <s>] [-q]
lists the devices that answer port 9999 or TP-Link's discovery (UDP 20002), one line each.

       tplink-smartplug -t <host> --children --transport klap|aes|auto [-u <e-mail>] [-q]
lists a hub's children (H100, KH100: sensors, buttons, switches, valves) and their readings,
one line each (with -q, the JSON of each).

  -t, --target <host>    address of the plug: an IP address or a host name
  -p, --port <port>      port (default ${DEFAULT_PORT}; with --transport klap, KLAP's port, default ${KLAP_DEFAULT_PORT})
  -c, --command <name>   a preset command (* needs --force):
${Object.entries(PRESETS)
  .map(([name, preset]) => `                           ${`${name}${preset.destructive ? ' *' : ''}`.padEnd(16)}${preset.description}`)
  .join('\n')}
  -j, --json <json>      a raw JSON command, e.g. '{"system":{"get_sysinfo":{}}}'; to a SMART
                         device, '{"method":"get_device_info"}' (with "params":{...} if any)
  Lights (bulbs, light strips, dimmers of both families), together in one command:
      --brightness <1-100>  the brightness in %
      --color <colour>   #rrggbb, a CSS colour name (orange) or hue,saturation (30,100): colour mode
      --color-temp <K>   a white in kelvin, within the light's range: white mode
      --effect <name>    a light effect by name, or off
      --transition <ms>  fade (Kasa: any change; Tapo: with switching only)
                         Result: the light's state read back (on, brightness, mode, hue, ...)
  -o, --outlet <outlet>  address outlets of a strip (HS300, KP303, P300, ...): the 2-digit suffix of the
                         child id (00 = first outlet, 02 = third), the full child id, the alias,
                         or all; repeat or separate with commas for several
  -q, --quiet            print only the reply JSON
      --force            allow a command that resets, reboots, erases statistics or rewrites
                         the device (the * presets, and -j commands that do so)
      --timeout <s>      seconds to wait for the device (default 5)
      --udp              use UDP instead of TCP (same as --transport udp)
      --transport <t>    tcp (default), udp, klap (newer firmware, HTTP port ${KLAP_DEFAULT_PORT}), aes (older
                         Tapo firmware, HTTP port ${KLAP_DEFAULT_PORT}), tpap (2025 firmware, HTTP port
                         ${KLAP_DEFAULT_PORT}), or auto (port 9999, else TPAP, KLAP or AES)
  -u, --username <e-mail> KLAP, AES, TPAP: the TP-Link (Kasa/Tapo app) account e-mail
  -P, --password <pw>    KLAP, AES, TPAP: the account password (or set TPLINK_PASSWORD)
      --klap-port <port> KLAP's port (default ${KLAP_DEFAULT_PORT}); for auto, which uses both ports
  -h, --help             this text

A SMART device may take several exchanges for one command (the state is read back): each is
shown as Sent and Received, then Result: what the nodes give as msg.payload (the device info
with its nickname decoded, the reading in W, V, A and kWh, the state read back); with -q, only
that. A preset a SMART device lacks fails with the reason.

Exit status: 0 success, 1 the device or network failed (reason on stderr), 2 bad command line.`;

export interface SmartplugOptions {
  host: string;
  port: number;
  /** The Kasa request (a preset's as for a plug), or the -j JSON in the dialect it is written in. */
  request: Record<string, unknown>;
  /** The -c preset, which a SMART device runs in its own dialect. */
  preset?: PresetName;
  /** Light options: the change to make, read back as the light-control node does. */
  light?: LightCommand;
  /** The dialect of -j: Kasa's {module: {method}} ("iot") or SMART's {method, params}. */
  dialect: 'iot' | 'smart';
  /** Outlet selectors as the nodes take them, resolved against the strip's sysinfo when sent. */
  outlets: OutletSelector[];
  quiet: boolean;
  /** --children: list a hub's children and their readings instead of sending a command. */
  children: boolean;
  timeoutMs: number;
  transport: TransportChoice;
  klapPort: number;
  username?: string;
  password?: string;
}

/** Reads the command line; throws UsageError with a one-line reason. Returns null for --help. */
export function parseSmartplugArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): SmartplugOptions | null {
  const parsed = parseCommandLine({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      target: { type: 'string', short: 't' },
      port: { type: 'string', short: 'p' },
      command: { type: 'string', short: 'c' },
      json: { type: 'string', short: 'j' },
      outlet: { type: 'string', short: 'o', multiple: true },
      quiet: { type: 'boolean', short: 'q' },
      force: { type: 'boolean' },
      timeout: { type: 'string' },
      udp: { type: 'boolean' },
      transport: { type: 'string' },
      username: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'P' },
      'klap-port': { type: 'string' },
      brightness: { type: 'string' },
      color: { type: 'string' },
      'color-temp': { type: 'string' },
      effect: { type: 'string' },
      transition: { type: 'string' },
      children: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const v = parsed.values;
  if (v.help) return null;
  if (v.target === undefined || v.target.trim() === '') throw new UsageError('the target host is required (-t <host>)');
  const host = v.target.trim();
  // Checked here so a typo fails at once, before any DNS lookup or connection.
  if (!isValidHost(host)) throw new UsageError(`-t ${JSON.stringify(host)} is not a valid host name or IP address`);
  const children = v.children ?? false;
  if (children && (v.command !== undefined || v.json !== undefined || v.outlet !== undefined)) throw new UsageError('--children lists the children: it takes no -c, -j or -o');
  // --children reads the device information (a preset every device answers).
  if (children) v.command = 'info';
  const light = lightOptions(v);
  if (light !== undefined && (v.command !== undefined || v.json !== undefined)) throw new UsageError('light options are a command of their own: leave out -c and -j');
  if (light === undefined && (v.command === undefined) === (v.json === undefined)) {
    throw new UsageError('give either a preset (-c), a JSON command (-j) or light options (--brightness, --color, --color-temp, --effect)');
  }
  let request: Record<string, unknown> = {};
  let dialect: SmartplugOptions['dialect'] = 'iot';
  if (light !== undefined) {
    // Nothing to check: the light options were read above.
  } else if (v.command !== undefined) {
    if (!isPresetName(v.command)) {
      throw new UsageError(`unknown command "${v.command}"; one of: ${Object.keys(PRESETS).join(', ')}`);
    }
    request = PRESETS[v.command].request();
  } else {
    let value: unknown;
    try {
      value = JSON.parse(v.json!);
    } catch {
      throw new UsageError(`-j is not valid JSON: ${v.json!.slice(0, 60)}`);
    }
    if (!isObject(value) || Object.keys(value).length === 0) {
      throw new UsageError('-j must be a JSON object such as {"system":{"get_sysinfo":{}}}');
    }
    // A Kasa module is an object, so a string "method" can only be SMART's.
    if (typeof value['method'] === 'string') {
      dialect = 'smart';
      try {
        checkSmartRequest(value);
      } catch (err) {
        throw new UsageError(`-j: ${(err as Error).message}`);
      }
    }
    request = value;
  }
  const destructive = dialect === 'smart' ? smartDestructiveMethods(checkSmartRequest(request)) : destructiveMethods(request);
  if (destructive.length > 0 && !v.force) {
    const what = v.command !== undefined ? `-c ${v.command}` : 'the -j command';
    throw new UsageError(`${what} is destructive (${destructive.join(', ')}); add --force if you mean it`);
  }
  // A password on the command line lands in the shell history; the environment is the better place.
  const password = v.password || env['TPLINK_PASSWORD'] || undefined;
  const transport = transportOf(v.transport, v.udp ?? false);
  if (dialect === 'smart' && (transport === 'tcp' || transport === 'udp')) {
    // Port 9999 only ever speaks Kasa JSON.
    throw new UsageError(`-j {"method":...} is SMART JSON, which Tapo devices take over KLAP, AES or TPAP: add --transport klap, aes, tpap or auto`);
  }
  if (v.username && password === undefined && (transport === 'klap' || transport === 'aes' || transport === 'tpap' || transport === 'auto')) {
    // Else the handshake fails and the plug seems to refuse a password nobody gave it.
    throw new UsageError('-u was given but no password: add -P <password> or set TPLINK_PASSWORD');
  }
  return {
    host,
    ...ports(v.port, v['klap-port'], transport),
    request,
    ...(v.command === undefined ? {} : { preset: v.command as PresetName }),
    ...(light === undefined ? {} : { light }),
    dialect,
    outlets: outletSelectors(v.outlet ?? []),
    quiet: v.quiet ?? false,
    children,
    timeoutMs: numberOption(v.timeout, 5, 'timeout', (n) => n > 0 && n <= 3600) * 1000,
    transport,
    ...(v.username === undefined ? {} : { username: v.username }),
    ...(password === undefined ? {} : { password }),
  };
}

/** The light options as one light command, checked as light-control checks a message; undefined when none is given. */
function lightOptions(v: { brightness?: string; color?: string; 'color-temp'?: string; effect?: string; transition?: string }): LightCommand | undefined {
  if ([v.brightness, v.color, v['color-temp'], v.effect].every((value) => value === undefined)) {
    if (v.transition !== undefined) throw new UsageError('--transition goes with --brightness, --color, --color-temp or --effect');
    return undefined;
  }
  // "30,100" is hue,saturation; anything else a colour as msg.color takes it.
  const pair = v.color === undefined ? undefined : /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(v.color);
  const color = pair ? { hue: Number(pair[1]), saturation: Number(pair[2]) } : v.color;
  try {
    const request = parseLightInput({ brightness: v.brightness, color, colorTemp: v['color-temp'], effect: v.effect, transition: v.transition });
    if (request.kind !== 'set') throw new UsageError('light options set a light');
    return request.change;
  } catch (err) {
    if (err instanceof KasaError) throw new UsageError(err.message.replace(/msg\.colorTemp/g, '--color-temp').replace(/msg\.(color|brightness|effect|transition)/g, '--$1'));
    throw err;
  }
}

/**
 * -p is the port of the protocol spoken: with --transport klap that is KLAP's. Only auto speaks
 * both, so only there do -p (9999) and --klap-port (80) name different ports.
 */
function ports(port: string | undefined, klapPort: string | undefined, transport: TransportChoice): { port: number; klapPort: number } {
  const smartHome = integerOption(port, DEFAULT_PORT, 'port', 1, 65535);
  const klap = integerOption(klapPort, KLAP_DEFAULT_PORT, 'KLAP port', 1, 65535);
  // KLAP, AES and TPAP all speak HTTP on the same port (80): -p and --klap-port name it alike.
  if ((transport !== 'klap' && transport !== 'aes' && transport !== 'tpap') || port === undefined) return { port: smartHome, klapPort: klap };
  if (klapPort !== undefined && klap !== smartHome) {
    throw new UsageError(`-p ${port} and --klap-port ${klapPort} disagree: with --transport ${transport} both name the HTTP port`);
  }
  return { port: DEFAULT_PORT, klapPort: smartHome };
}

/**
 * -o takes what the nodes take (2-digit suffix, full child id, alias, all; "00,02" lists), except a
 * bare one-digit number, refused once the strip's outlets are known (see ambiguousDigit).
 */
function outletSelectors(values: readonly string[]): OutletSelector[] {
  const selectors = values.flatMap((value) => parseOutletSelectors(value));
  if (values.length > 0 && selectors.length === 0) throw new UsageError('-o needs an outlet: its 2-digit suffix (00 = first), child id or alias');
  return selectors;
}

function transportOf(name: string | undefined, udp: boolean): TransportChoice {
  if (name === undefined) return udp ? 'udp' : 'tcp';
  if (!isTransportChoice(name)) throw new UsageError(`unknown transport "${name}"; one of: ${TRANSPORT_CHOICES.join(', ')}`);
  if (udp && name !== 'udp') throw new UsageError(`--udp contradicts --transport ${name}`);
  return name;
}

/** The whole tool: returns the exit status. */
export function runSmartplug(argv: readonly string[], io: CliIo): Promise<number> {
  // A mode of its own, with options of its own: the search asks no one device.
  if (argv.includes('--discover')) return runDiscover(argv, io);
  return runTool('tplink-smartplug', SMARTPLUG_USAGE, argv, io, (args) => parseSmartplugArgs(args, process.env), (options) => sendCommand(options, io));
}

async function sendCommand(options: SmartplugOptions, io: CliIo): Promise<number> {
  // The lines show the command's own exchanges as they went over the wire, not those that found
  // out the family and the outlets first.
  const exchanges: ExchangeTrace[] = [];
  let recording = false;
  let device: Device | undefined;
  const connecting = connectDevice({
    transport: options.transport,
    host: options.host,
    port: options.port,
    klapPort: options.klapPort,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
    timeoutMs: options.timeoutMs,
    onExchange: (trace) => void (recording && trace.error === undefined && exchanges.push(trace)),
  });
  let outlets: OutletInfo[] = [];
  try {
    const found = (device = await connecting);
    // A SMART device's components (asked once), a light's kind and range, and the model (for messages) are read here, out of the command's lines.
    if (found.family === 'smart' || options.light !== undefined) await found.getSysinfo();
    if (options.children) return await printChildren(found, options.quiet, io);
    checkDialect(found, options);
    outlets = options.outlets.length === 0 ? [] : await resolve(found, options.outlets);
    const target = outlets.length === 0 ? found : found.children(outlets);
    recording = true;
    const result = await run(found, target, options);
    recording = false;
    if (options.quiet) io.out(result ?? exchanges.at(-1)?.received ?? '');
    else {
      printExchanges(io, outlets, exchanges);
      if (result !== undefined) io.out(`Result:    ${result}`);
    }
    return EXIT_OK;
  } catch (err) {
    // What the device answered before the failure, as the seed printed it before the reason.
    if (options.quiet) {
      const last = exchanges.at(-1)?.received;
      if (last !== undefined) io.out(last);
    } else if (exchanges.length > 0) printExchanges(io, outlets, exchanges);
    const hints = err instanceof KasaError ? `${accountHint(err)}${httpHint(err, options, exchanges.length > 0)}` : '';
    io.err(`tplink-smartplug: ${err instanceof KasaError ? `${err.message}${hints} [${err.code}]` : String(err)}`);
    return EXIT_FAILURE;
  } finally {
    await device?.close();
  }
}

/**
 * A Kasa device gets the request as the seed sent it (its reply is the output); a SMART device
 * runs the preset in its own dialect, or the -j SMART JSON, and the output is the result as the
 * nodes give it.
 */
async function run(device: Device, target: Target, options: SmartplugOptions): Promise<string | undefined> {
  if (options.light !== undefined) return JSON.stringify(lightOutput((await target.setLight(options.light)).info));
  if (device.family === 'iot') {
    await target.run(options.request);
    return undefined;
  }
  const action = options.preset === undefined ? { kind: 'raw' as const, request: options.request } : parseAction({ command: options.preset });
  return JSON.stringify((await runAction(target, action)).payload);
}

/** --children: one line per child of a hub (its readings after its kind), or with -q its JSON. */
async function printChildren(device: Device, quiet: boolean, io: CliIo): Promise<number> {
  const children = ((await device.getSysinfo()).info.children ?? []).filter((child) => child.kind !== 'outlet');
  if (children.length === 0) throw new KasaError(ErrorCode.BAD_INPUT, `${device.describe()} carries no sensors, switches or valves: is it a hub (H100, KH100)?`, { device: device.address });
  for (const child of children) {
    const { index, id, alias, model, kind, readings } = child;
    if (quiet) io.out(JSON.stringify({ index, id, alias, model: model ?? '', kind, readings }));
    else {
      const values = Object.entries(readings ?? {}).map(([key, value]) => `${key}=${String(value)}`).join(' ');
      io.out(`${index} ${displayText(model ?? '?')} ${CHILD_KIND_LABELS[kind]} ${JSON.stringify(displayText(alias))} (id ${displayText(id)}): ${values}`);
    }
  }
  return EXIT_OK;
}

/** -j written in the other family's dialect is refused before it is sent. */
function checkDialect(device: Device, options: SmartplugOptions): void {
  if (options.preset !== undefined || options.light !== undefined || options.dialect === device.family) return;
  const message =
    device.family === 'smart'
      ? `${device.describe()} speaks the SMART (Tapo) protocol: -j takes {"method":...,"params":{...}} there, e.g. {"method":"get_device_info"}.`
      : `${device.describe()} speaks the Kasa protocol: -j takes Kasa JSON there, e.g. {"system":{"get_sysinfo":{}}}.`;
  throw new KasaError(ErrorCode.BAD_INPUT, message, { device: device.address });
}

function printExchanges(io: CliIo, outlets: readonly OutletInfo[], exchanges: readonly ExchangeTrace[]): void {
  for (const outlet of outlets) io.out(`Outlet:    ${describeOutlet(outlet)}`);
  for (const exchange of exchanges) {
    io.out(`Sent:      ${exchange.sent}`);
    io.out(`Received:  ${exchange.received ?? ''}`);
  }
}

/**
 * The strip's sysinfo names its outlets: the selectors become full child ids (a short id gets
 * "entry not exist"). A miss lists the outlets as -o takes them.
 */
async function resolve(device: Device, selectors: readonly OutletSelector[]): Promise<OutletInfo[]> {
  let chosen: OutletInfo[];
  const bareDigit = (outlets: readonly OutletInfo[]) => selectors.find((s): s is string => typeof s === 'string' && /^\d$/.test(s) && !outlets.some((o) => o.alias === s));
  try {
    chosen = await device.resolveOutlets(selectors);
  } catch (err) {
    if (!(err instanceof KasaError) || err.code !== ErrorCode.BAD_INPUT || !device.info?.outlets?.length) throw err;
    const digit = bareDigit(device.info.outlets);
    throw digit === undefined ? noOutlet(device, device.info.outlets, selectors) : ambiguousDigit(device, device.info.outlets, Number(digit));
  }
  // The nodes fall back to a 1-based index for digits ("06" on a six-outlet strip is the sixth);
  // -o counts suffixes from 00, so digits must be a suffix (or the alias) of an outlet.
  const outlets = device.info?.outlets ?? [];
  const digit = bareDigit(outlets);
  if (digit !== undefined) throw ambiguousDigit(device, outlets, Number(digit));
  const byIndex = selectors.filter(
    (s) => typeof s === 'string' && /^\d+$/.test(s) && !outlets.some((o) => o.id === s || o.alias === s || (s.length === 2 && o.id.endsWith(s))),
  );
  if (byIndex.length > 0) throw noOutlet(device, outlets, byIndex);
  return chosen;
}

/**
 * A bare one-digit -o: the nodes read "2" as the second outlet, the seed client as child "02", the
 * third. Refused rather than guessed, so no script switches the wrong outlet; the message names the
 * readings this strip has (on a six-outlet strip "7" has none).
 */
function ambiguousDigit(device: Device, outlets: readonly OutletInfo[], n: number): KasaError {
  const bySuffix = (suffix: string) => outlets.find((o) => o.id.endsWith(suffix));
  const readings = [
    { suffix: `0${n - 1}`, what: `outlet ${n}` },
    { suffix: `0${n}`, what: `outlet ${n + 1}` },
  ].flatMap(({ suffix, what }) => {
    const outlet = bySuffix(suffix);
    return outlet === undefined ? [] : [`-o ${suffix} for ${what} (${JSON.stringify(outlet.alias)})`];
  });
  const names = outlets.map((o) => `${o.id.slice(-2)} ${JSON.stringify(o.alias)}`).join(', ');
  const message =
    readings.length === 0
      ? `-o ${n} names no outlet of ${device.address}, whether counted from 1 or from 00: it has ${names}. Write the 2-digit suffix, counted from 00.`
      : `-o ${n} is ambiguous: write ${readings.join(' or ')}; 2-digit suffixes count from 00. Nothing was switched.`;
  return new KasaError(ErrorCode.BAD_INPUT, message, { device: device.address });
}

function noOutlet(device: Device, outlets: readonly OutletInfo[], selectors: readonly OutletSelector[]): KasaError {
  const wanted = selectors.map((s) => JSON.stringify(s)).join(', ');
  const names = outlets.map((o) => `${o.id.slice(-2)} ${JSON.stringify(o.alias)}`).join(', ');
  return new KasaError(ErrorCode.BAD_INPUT, `No outlet ${wanted} on ${device.address}; it has ${names}, or all.`, {
    device: device.address,
  });
}

/** `02 "Plug 3" (child id 80...02)`: the suffix -o takes, the alias the app shows, the id sent. */
function describeOutlet(outlet: OutletInfo): string {
  return `${outlet.id.slice(-2)} ${JSON.stringify(outlet.alias)} (child id ${outlet.id})`;
}
