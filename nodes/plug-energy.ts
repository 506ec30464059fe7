import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { checkPermission, parseOutletSelectors } from '../src/device/actions';
import { RANGES } from '../src/util/bounds';
import { Deadband } from '../src/device/deadband';
import { displayValue } from '../src/util/display-text';
import { Device, DeviceReading, MeterReading, MeterSnapshot, StatsPeriod, Target, partKey, resolveOutlets } from '../src/device/device';
import { DroppedStat, sumReadings } from '../src/device/energy';
import { ErrorCode, KasaError } from '../src/util/errors';
import type { DeviceInfo, OutletInfo } from '../src/device/state';
import type { DeviceSubscriber } from '../src/device/device-hub';
import { handleInput } from './lib/input';
import { NodeSettings } from './lib/settings';
import { deviceNodeOf, pollIntervalMs, registerWithDevice } from './lib/relay-node';
import { offlineStatus } from './lib/status';
import { useRuntimeI18n } from './lib/i18n';

interface EnergyNodeDef extends NodeDef {
  device: string;
  /** '' for a plug; for a strip "1", "Lamp", "1,3" or "all". */
  outlet?: string;
  /** What an input does without msg.command: 'realtime', 'daystat', 'monthstat'. */
  command?: string;
  /** Seconds between realtime readings sent on their own; 0: only on input. */
  interval?: string | number;
  /** 'power': msg.payload is the watts; 'reading': the whole normalised reading. */
  output?: string;
  /** Series name for charts; empty: the device's or outlet's alias. */
  topic?: string;
  /** Polled readings are sent only when the power moved by more than this many watts. */
  deadband?: string | number;
  /** Several outlets: one message per outlet instead of one message with the sum. */
  split?: boolean;
  allowDestructive?: boolean;
}

const COMMANDS = ['realtime', 'daystat', 'monthstat', 'erase'] as const;
/** The parts whose state an energy node follows: none. */
const NO_PARTS: ReadonlySet<string> = new Set();
type EnergyCommand = (typeof COMMANDS)[number];

/** Power and energy readings of plugs and strip outlets, shaped for gauges and charts. */
export = function register(RED: NodeAPI): void {
  useRuntimeI18n(RED);
  function PlugEnergyNode(this: Node, def: EnergyNodeDef): void {
    RED.nodes.createNode(this, def);
    const deviceNode = deviceNodeOf(RED, this, def.device);
    if (deviceNode === null) return;
    const selectors = parseOutletSelectors(def.outlet ?? '');
    const wholeReading = def.output === 'reading';
    const settings = new NodeSettings(this);
    const deadband = new Deadband(settings.number(def.deadband, RANGES.deadbandWatts, 0));

    /** What a message reads: the device, or the outlets it or the node names. */
    const targetOf = async (device: Device, requested: unknown): Promise<Target> => {
      const chosen = requested === undefined ? selectors : parseOutletSelectors(requested);
      return chosen.length === 0 ? device : device.children(await device.resolveOutlets(chosen));
    };

    /** The messages of one reading: one, or one per outlet when split. */
    const readingMessages = (device: Device, snapshot: MeterSnapshot, base: NodeMessage): NodeMessage[] => {
      const outlets = snapshot.parts.flatMap((part) => (part.outlet === undefined ? [] : [{ outlet: part.outlet, reading: part.reading }]));
      const shape = (reading: MeterSnapshot['reading'], name: string, extra: Record<string, unknown>): NodeMessage => ({
        ...base,
        ...extra,
        payload: wholeReading ? { ...reading } : reading.power,
        energy: { ...reading },
        topic: def.topic || name,
        device: device.identity(),
      });
      const alias = device.info?.alias ?? device.host;
      if (outlets.length === 0) return [shape(snapshot.reading, alias, {})];
      if (def.split === true && outlets.length > 1) {
        return outlets.map(({ outlet, reading }) =>
          shape(reading, outlet.alias || `${alias} ${outlet.index}`, { outlet: outletOut(outlet) }),
        );
      }
      const only = outlets.length === 1 ? outlets[0]!.outlet : undefined;
      return [
        shape(snapshot.reading, only ? only.alias || `${alias} ${only.index}` : `${alias} total`, {
          outlet: only ? outletOut(only) : outlets.map(({ outlet }) => outletOut(outlet)),
          ...(only ? {} : { outlets: outlets.map(({ outlet, reading }) => ({ ...outletOut(outlet), energy: reading })) }),
        }),
      ];
    };

    const status = registerWithDevice(this, deviceNode);
    const showPower = (snapshot: MeterSnapshot): void => {
      status.show({ fill: 'green', shape: 'dot', text: `${formatWatts(snapshot.reading.power)}` });
    };

    handleInput(this, async (msg, send) => {
      settings.check();
      const command = commandOf(msg['command'], def.command);
      if (command === 'erase') checkPermission({ kind: 'preset', name: 'energy_reset' }, { allowRaw: false, allowDestructive: def.allowDestructive === true });
      const period = command === 'daystat' || command === 'monthstat' ? statsPeriod(command, msg['year'], msg['month']) : undefined;
      let dropped: DroppedStat[] | undefined;
      const { device, target, snapshot } = await deviceNode.use(async (device) => {
        const target = await targetOf(device, msg['outlet']);
        if (command === 'realtime') return { device, target, snapshot: await target.realtime() };
        if (period !== undefined) {
          const stats = await target.stats(period);
          msg.payload = [...stats];
          dropped = stats.dropped;
        } else {
          await target.eraseStats();
          msg.payload = true;
        }
        return { device, target, snapshot: undefined };
      });
      const outlets = target.outlets;
      if (snapshot !== undefined) {
        showPower(snapshot);
        const messages = readingMessages(device, snapshot, msg);
        send(messages.length === 1 ? messages[0]! : [messages]);
        return;
      }
      // Impossible entries of the statistics are left out and named, so one broken day does not blank a month's chart.
      if (dropped === undefined) delete msg['dropped'];
      else {
        msg['dropped'] = dropped;
        this.warn(`${dropped.length} impossible ${dropped.length === 1 ? 'entry' : 'entries'} of the device's statistics left out: see msg.dropped.`);
      }
      msg['device'] = device.identity();
      if (outlets.length > 0) msg['outlet'] = outlets.length === 1 ? outletOut(outlets[0]!) : outlets.map(outletOut);
      msg.topic = def.topic || (outlets.length === 1 ? outlets[0]!.alias : device.info?.alias) || msg.topic;
      send(msg);
    });

    const intervalMs = pollIntervalMs(settings, def.interval);
    if (intervalMs > 0) {
      // The device's hub reads the meter with the state, once per poll for every node that watches it.
      const targetsIn = (info: DeviceInfo): Target[] => {
        const device = deviceNode.connected;
        if (device === null) throw new KasaError(ErrorCode.CLOSED, 'The device is not connected.');
        return [selectors.length === 0 ? device : device.children(resolveOutlets(info, selectors, device.address))];
      };
      let failing = false;
      const fail = (err: unknown): void => {
        if (failing) return;
        failing = true;
        this.status(offlineStatus(err));
        this.error(err instanceof Error ? err : new Error(String(err)), { payload: null, event: 'offline' });
      };
      const onReading = (reading: DeviceReading): void => {
        let snapshot: MeterSnapshot | undefined;
        try {
          snapshot = snapshotOf(targetsIn(reading.info)[0]!, reading);
        } catch (err) {
          return fail(err);
        }
        if (snapshot === undefined) return; // a poll made for others: no meter of this node in it
        failing = false;
        showPower(snapshot);
        if (!deadband.pass(snapshot.reading.power)) return;
        const device = deviceNode.connected;
        if (device === null) return;
        const messages = readingMessages(device, snapshot, {});
        this.send(messages.length === 1 ? messages[0]! : [messages]);
      };
      const watcher: DeviceSubscriber = {
        intervalMs,
        meters: targetsIn,
        // The meter is what this node follows: state changes are for plug-control.
        follows: () => NO_PARTS,
        onEvent: (event) => {
          if (event.type === 'reading') onReading(event.reading);
          else if (event.type === 'offline') fail(event.error);
        },
      };
      deviceNode.hub.subscribe(watcher);
      this.on('close', (_removed: boolean, done: () => void) => {
        deviceNode.hub.unsubscribe(watcher).then(done, done);
      });
    }
    this.on('close', () => status.leave());
  }

  RED.nodes.registerType('plug-energy', PlugEnergyNode);
};

/** A target's meter reading out of a poll; undefined when the poll read no meter; throws the part's failure. */
function snapshotOf(target: Target, reading: DeviceReading): MeterSnapshot | undefined {
  const parts: MeterReading[] = [];
  for (const part of target.parts()) {
    const found = reading.meters.get(partKey(part));
    if (found === undefined) return undefined;
    if (found instanceof Error) throw found;
    parts.push(part.outlets[0] === undefined ? found : { ...found, outlet: part.outlets[0] });
  }
  return { reading: parts.length === 1 ? parts[0]!.reading : sumReadings(parts.map((p) => p.reading)), parts };
}

function commandOf(requested: unknown, fallback: string | undefined): EnergyCommand {
  const name = requested === undefined || requested === '' ? fallback || 'realtime' : requested;
  if (typeof name === 'string' && (COMMANDS as readonly string[]).includes(name)) return name as EnergyCommand;
  throw new KasaError(ErrorCode.BAD_INPUT, `Unknown energy command ${displayValue(name)}; one of: ${COMMANDS.join(', ')}.`);
}

/** Statistics default to the current month (days) or year (months), in the runtime's time zone. */
function statsPeriod(command: 'daystat' | 'monthstat', year: unknown, month: unknown): StatsPeriod {
  const now = new Date();
  const y = year === undefined ? now.getFullYear() : numberOf(year);
  const m = month === undefined ? now.getMonth() + 1 : numberOf(month);
  if (!Number.isInteger(y) || y < 2000 || y > 2100) throw new KasaError(ErrorCode.BAD_INPUT, `msg.year ${displayValue(year)} is not a year (2000-2100).`);
  if (command === 'monthstat') return { kind: 'month', year: y };
  if (!Number.isInteger(m) || m < 1 || m > 12) throw new KasaError(ErrorCode.BAD_INPUT, `msg.month ${displayValue(month)} is not a month (1-12).`);
  return { kind: 'day', year: y, month: m };
}

function outletOut(outlet: OutletInfo): { index: number; id: string; alias: string } {
  return { index: outlet.index, id: outlet.id, alias: outlet.alias };
}

function formatWatts(watts: number): string {
  return `${watts >= 100 ? watts.toFixed(0) : watts.toFixed(1)} W`;
}

/** A number given as a number or as text; NaN for anything else (Number() throws for a Symbol). */
function numberOf(value: unknown): number {
  return typeof value === 'number' || typeof value === 'string' ? Number(value) : NaN;
}
