import { ErrorCode, KasaError } from '../../util/errors';
import type { SimHub, TriggerLogEntry } from './hub';
import { COMMON_EVENTS, HubEvent, HubEventType } from './hub-kinds';

/** The words a person types for each event, and whether it takes a number (degrees, °C, %). */
const EVENT_WORDS: Readonly<Record<string, { type: HubEventType; value?: 'degrees' | 'value' }>> = {
  motion: { type: 'motion' },
  clear: { type: 'clear' },
  open: { type: 'open' },
  close: { type: 'close' },
  'keep-open': { type: 'keepOpen' },
  leak: { type: 'leak' },
  dry: { type: 'dry' },
  press: { type: 'singleClick' },
  'double-press': { type: 'doubleClick' },
  rotate: { type: 'rotation', value: 'degrees' },
  temperature: { type: 'temperature', value: 'value' },
  humidity: { type: 'humidity', value: 'value' },
  'low-battery': { type: 'lowBattery' },
  'battery-ok': { type: 'batteryOk' },
  offline: { type: 'offline' },
  online: { type: 'online' },
};

export const HUB_COMMAND_HELP = `Hub commands (one a line on standard input):
  fire <event> [<number>] [<child>]   child: its kind, model or id (default: the first that can)
    events: motion, clear, open, close, keep-open, leak, dry, press, double-press,
            rotate <degrees>, temperature <°C>, humidity <%>, low-battery, battery-ok, offline, online
  list                                the hub's children and their readings
  help                                this text`;

export type HubCommand = { kind: 'fire'; event: HubEvent; child?: string } | { kind: 'list' } | { kind: 'help' };

/** A line typed at the simulator; BAD_INPUT with a plain reason when it is not a command. */
export function parseHubCommand(line: string): HubCommand | undefined {
  const words = line.trim().split(/\s+/).filter((word) => word !== '');
  if (words.length === 0) return undefined;
  const [verb, ...rest] = words.map((word) => word.toLowerCase());
  if (verb === 'list' || verb === 'help') return { kind: verb };
  if (verb !== 'fire') throw new KasaError(ErrorCode.BAD_INPUT, `Unknown command "${words[0]!}"; type help.`);
  const eventIndex = rest.findIndex((word) => EVENT_WORDS[word] !== undefined);
  if (eventIndex < 0) throw new KasaError(ErrorCode.BAD_INPUT, `Say which event to fire: ${Object.keys(EVENT_WORDS).join(', ')}.`);
  const word = EVENT_WORDS[rest[eventIndex]!]!;
  const others = rest.filter((_word, index) => index !== eventIndex);
  const numbers = others.filter((other) => /^-?\d+(\.\d+)?$/.test(other));
  const names = others.filter((other) => !numbers.includes(other));
  if (names.length > 1 || numbers.length > 1) throw new KasaError(ErrorCode.BAD_INPUT, `Too many words in "${line.trim()}"; type help.`);
  if (word.value !== undefined && numbers.length === 0) throw new KasaError(ErrorCode.BAD_INPUT, `"${rest[eventIndex]!}" needs a number.`);
  if (word.value === undefined && numbers.length > 0) throw new KasaError(ErrorCode.BAD_INPUT, `"${rest[eventIndex]!}" takes no number.`);
  const value = Number(numbers[0]);
  const event = (word.value === 'degrees' ? { type: word.type, degrees: value } : word.value === 'value' ? { type: word.type, value } : { type: word.type }) as HubEvent;
  return { kind: 'fire', event, ...(names[0] === undefined ? {} : { child: names[0] }) };
}

/** Fires a parsed event on the hub: on the child named, else on the first child that can. */
export function fireOn(hub: SimHub, event: HubEvent, child?: string): { child: SimHub['children'][number]; entry: TriggerLogEntry | undefined } {
  const target = child === undefined ? hub.children.find((candidate) => candidate.spec.events.includes(event.type) || COMMON_EVENTS.includes(event.type)) : hub.child(child);
  if (target === undefined) throw new KasaError(ErrorCode.BAD_INPUT, `No child of this hub fires "${event.type}".`);
  return { child: target, entry: target.fire(event) };
}

/** What --fire-every cycles through: something for every child. */
export const DEMO_EVENTS: ReadonlyArray<{ child: string; event: HubEvent }> = [
  { child: 'motion', event: { type: 'motion' } },
  { child: 'contact', event: { type: 'open' } },
  { child: 'climate', event: { type: 'temperature', value: 23.5 } },
  { child: 'button', event: { type: 'singleClick' } },
  { child: 'motion', event: { type: 'clear' } },
  { child: 'contact', event: { type: 'close' } },
  { child: 'leak', event: { type: 'leak' } },
  { child: 'button', event: { type: 'rotation', degrees: 30 } },
  { child: 'switch', event: { type: 'singleClick' } },
  { child: 'climate', event: { type: 'humidity', value: 35 } },
  { child: 'leak', event: { type: 'dry' } },
  { child: 'button', event: { type: 'doubleClick' } },
  { child: 'trv', event: { type: 'temperature', value: 20.5 } },
  { child: 'climate', event: { type: 'temperature', value: 21 } },
  { child: 'climate', event: { type: 'humidity', value: 50 } },
];

/** One line about a fired event, for the simulator's output. */
export function describeFired(child: SimHub['children'][number], event: HubEvent, entry: TriggerLogEntry | undefined): string {
  const detail = 'degrees' in event ? ` ${event.degrees}°` : 'value' in event ? ` ${event.value}` : '';
  return `${child.spec.model} ${JSON.stringify(child.nickname)}: ${event.type}${detail}${entry === undefined ? '' : ` (trigger log id ${entry.id}, ${entry.event})`}`;
}

/** One line per child: kind, model, id, status and the readings that change. */
export function describeChildren(hub: SimHub): string[] {
  return hub.children.map((child) => {
    const info = child.info();
    const readings = ['detected', 'open', 'water_leak_status', 'current_temp', 'current_humidity', 'target_temp', 'device_on', 'battery_percentage']
      .filter((key) => key in info)
      .map((key) => `${key}=${String(info[key])}`)
      .join(' ');
    return `${child.kind} ${child.spec.model} ${child.id} ${String(info['status'])} ${readings}`.trimEnd();
  });
}
