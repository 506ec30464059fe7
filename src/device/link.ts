import { ErrorCode, KasaError } from '../util/errors';

/**
 * How a device's connection stands, as every node of that device shows it: being reached for the
 * first time, answering, not answering, or refusing the account the device node holds.
 */
export type LinkState = 'connecting' | 'online' | 'offline' | 'auth';

/** Codes that mean the device could not be reached or did not answer. */
const UNREACHED: ReadonlySet<string> = new Set([ErrorCode.TIMEOUT, ErrorCode.REFUSED, ErrorCode.RESET, ErrorCode.UNREACHABLE, ErrorCode.NETWORK]);

/**
 * The link state an exchange's outcome tells: success and any answer from the device (even a
 * refusal of the command) mean online; no answer offline; AUTH the account refused. Failures that
 * say nothing of the device (a bad message, the flow closing) leave the state as it was: undefined.
 */
export function linkStateAfter(err?: unknown): LinkState | undefined {
  if (err === undefined) return 'online';
  if (!(err instanceof KasaError)) return undefined;
  if (err.code === ErrorCode.AUTH) return 'auth';
  if (UNREACHED.has(err.code)) return 'offline';
  if (err.code === ErrorCode.DEVICE_ERROR || err.code === ErrorCode.NOT_SUPPORTED || err.code === ErrorCode.NO_ENERGY_METER || err.code === ErrorCode.PROTOCOL) {
    return 'online';
  }
  return undefined;
}
