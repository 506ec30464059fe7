import { ErrorCode, KasaError } from '../../util/errors';
import { formatSeconds } from '../transport';

/** The errors an HTTP exchange with a device ends in, worded the same whichever client sent it. */

export function timeoutError(device: string, what: string, ms: number): KasaError {
  return new KasaError(ErrorCode.TIMEOUT, `${device} did not ${what} within ${formatSeconds(ms)}.`, { device });
}

export function closedError(device: string): KasaError {
  return new KasaError(ErrorCode.CLOSED, `The connection to ${device} was closed.`, { device });
}

export function refusedError(device: string, cause: Error): KasaError {
  return new KasaError(
    ErrorCode.REFUSED,
    `${device} refused the connection. Check the address and port: plugs that speak KLAP (firmware from 2024 on) listen on port 80.`,
    { device, cause },
  );
}

export function tooLargeError(device: string, max: number, announced?: number): KasaError {
  const size = announced === undefined ? 'a reply larger than' : `a reply of ${announced} bytes, more than`;
  return new KasaError(ErrorCode.TOO_LARGE, `${device} sent ${size} the maximum of ${max} bytes.`, { device });
}

export function brokenReplyError(device: string): KasaError {
  return new KasaError(ErrorCode.RESET, `${device} closed the connection in the middle of its reply.`, { device });
}

export function malformedError(device: string, what: string): KasaError {
  return new KasaError(ErrorCode.PROTOCOL, `${device} sent a malformed HTTP reply: ${what}.`, { device });
}
