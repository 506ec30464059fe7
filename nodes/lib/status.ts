import type { NodeStatus } from 'node-red';
import type { LinkState } from '../../src/device/link';
import { displayText } from '../../src/util/display-text';
import { KasaError } from '../../src/util/errors';
import { statusText } from './i18n';

/** The few words a node shows under itself for each kind of failure (locale `status.reason.<code>`). */
function reasonOf(err: unknown): string {
  const code = err instanceof KasaError ? err.code : 'other';
  const text = statusText(`reason.${code}`);
  return text === `reason.${code}` ? statusText('reason.other') : text;
}

export function errorStatus(err: unknown): NodeStatus {
  return { fill: 'red', shape: 'ring', text: reasonOf(err) };
}

export function offlineStatus(err: unknown): NodeStatus {
  return { fill: 'red', shape: 'ring', text: statusText('offline', { reason: reasonOf(err) }) };
}

/** On or off (or how many of several are on), after an optional label; a dimmer's level beside "on". */
export function powerStatus(on: boolean | readonly boolean[], label = '', brightness?: number): NodeStatus {
  const states = Array.isArray(on) ? on : [on];
  const count = states.filter(Boolean).length;
  // The label is an alias the device chose: shown without control characters, at a status's length.
  const prefix = label === '' ? '' : `${displayText(label, 32)}: `;
  if (states.length === 1) {
    if (!states[0]) return { fill: 'grey', shape: 'ring', text: statusText('off', { label: prefix }) };
    const text = brightness === undefined ? statusText('on', { label: prefix }) : statusText('onAt', { label: prefix, brightness });
    return { fill: 'green', shape: 'dot', text };
  }
  return { fill: count > 0 ? 'green' : 'grey', shape: count > 0 ? 'dot' : 'ring', text: statusText('someOn', { label: prefix, count, total: states.length }) };
}

export function readyStatus(text: string): NodeStatus {
  return { fill: 'blue', shape: 'dot', text };
}

/** A device's link as every node of it shows it: connecting, connected, offline with the reason, or the account refused. */
export function linkStatus(state: LinkState, err?: unknown): NodeStatus {
  switch (state) {
    case 'connecting':
      return { fill: 'yellow', shape: 'ring', text: statusText('connecting') };
    case 'online':
      return { fill: 'green', shape: 'dot', text: statusText('online') };
    case 'auth':
      return { fill: 'red', shape: 'ring', text: statusText('accountRefused') };
    case 'offline':
      return offlineStatus(err);
  }
}
