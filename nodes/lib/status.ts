import type { NodeStatus } from 'node-red';
import { displayText } from '../../src/util/display-text';
import type { LinkState } from '../../src/device/link';
import { ErrorCode, KasaError } from '../../src/util/errors';

/** The few words a node shows under itself for each kind of failure. */
const SHORT_REASON: Record<string, string> = {
  [ErrorCode.TIMEOUT]: 'no answer',
  [ErrorCode.REFUSED]: 'connection refused',
  [ErrorCode.RESET]: 'connection lost',
  [ErrorCode.UNREACHABLE]: 'unreachable',
  [ErrorCode.PROTOCOL]: 'bad reply',
  [ErrorCode.TOO_LARGE]: 'reply too large',
  [ErrorCode.DEVICE_ERROR]: 'device error',
  [ErrorCode.NOT_SUPPORTED]: 'not supported',
  [ErrorCode.NO_ENERGY_METER]: 'no energy meter',
  [ErrorCode.NOT_ALLOWED]: 'not allowed',
  [ErrorCode.BAD_INPUT]: 'bad input',
  [ErrorCode.CLOSED]: 'closed',
  [ErrorCode.AUTH]: 'credentials refused',
  [ErrorCode.NETWORK]: 'network error',
  [ErrorCode.INTERNAL]: 'internal error',
};

export function errorStatus(err: unknown): NodeStatus {
  const code = err instanceof KasaError ? err.code : undefined;
  return { fill: 'red', shape: 'ring', text: (code && SHORT_REASON[code]) ?? 'error' };
}

export function offlineStatus(err: unknown): NodeStatus {
  return { fill: 'red', shape: 'ring', text: `offline: ${errorStatus(err).text}` };
}

/** On or off (or how many of several are on), after an optional label; a dimmer's level beside "on". */
export function powerStatus(on: boolean | readonly boolean[], label = '', brightness?: number): NodeStatus {
  const states = Array.isArray(on) ? on : [on];
  const count = states.filter(Boolean).length;
  // The label is an alias the device chose: shown without control characters, at a status's length.
  const prefix = label === '' ? '' : `${displayText(label, 32)}: `;
  if (states.length === 1) {
    const level = brightness === undefined ? '' : ` ${brightness}%`;
    return states[0] ? { fill: 'green', shape: 'dot', text: `${prefix}on${level}` } : { fill: 'grey', shape: 'ring', text: `${prefix}off` };
  }
  return { fill: count > 0 ? 'green' : 'grey', shape: count > 0 ? 'dot' : 'ring', text: `${prefix}${count} of ${states.length} on` };
}

export function readyStatus(text: string): NodeStatus {
  return { fill: 'blue', shape: 'dot', text };
}

/**
 * A device's link as every node of it shows it, in the words of the locale files
 * (tplink-device.json `status`): connecting, offline with the reason, or the account refused.
 */
export function linkStatus(RED: { _: (key: string, substitutions?: Record<string, string>) => string }, state: LinkState, err?: unknown): NodeStatus {
  switch (state) {
    case 'connecting':
      return { fill: 'yellow', shape: 'ring', text: RED._('tplink-device.status.connecting') };
    case 'online':
      return { fill: 'green', shape: 'dot', text: RED._('tplink-device.status.online') };
    case 'auth':
      return { fill: 'red', shape: 'ring', text: RED._('tplink-device.status.accountRefused') };
    case 'offline':
      return { fill: 'red', shape: 'ring', text: RED._('tplink-device.status.offline', { reason: errorStatus(err).text ?? '' }) };
  }
}
