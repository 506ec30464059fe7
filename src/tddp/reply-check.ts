import { ErrorCode, KasaError } from '../util/errors';
import { ParsedTddpPacket, TDDP_STATUS_OK, TDDP_V2, hex2 } from './packet';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Whether decrypted data looks like what devices send: UTF-8 text without control characters
 * other than tab, CR and LF. DES with a wrong key yields random bytes, which almost never pass.
 */
export function isPlausibleText(data: Uint8Array): boolean {
  let text: string;
  try {
    text = strictUtf8.decode(data);
  } catch {
    return false;
  }
  for (const char of text) {
    if (isControl(char.codePointAt(0)!)) return false;
  }
  return true;
}

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

function isControl(codePoint: number): boolean {
  if (codePoint === TAB || codePoint === LF || codePoint === CR) return false;
  return codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f);
}

/**
 * A v2 reply whose digest matches neither convention and whose data is not plausible text was
 * almost surely encrypted with other credentials than ours.
 */
export function suspectCredentials(reply: Pick<ParsedTddpPacket, 'header' | 'digestOk' | 'data'>): boolean {
  return reply.header.version === TDDP_V2 && reply.digestOk === false && !isPlausibleText(reply.data);
}

/**
 * Throws when a reply reports a failure: DEVICE_ERROR for a non-zero status (shown raw, its meaning
 * is not documented), AUTH when the data could not be decrypted with the credentials used.
 */
export function checkTddpReply(reply: { header: { status: number }; credentialsSuspect: boolean }, device: string): void {
  const status = reply.header.status;
  if (status !== TDDP_STATUS_OK) {
    throw new KasaError(ErrorCode.DEVICE_ERROR, `${device} answered TDDP status 0x${hex2(status)} (0x00 means success).`, {
      device,
      errCode: status,
    });
  }
  if (reply.credentialsSuspect) {
    throw new KasaError(
      ErrorCode.AUTH,
      `The reply from ${device} could not be decrypted with these credentials: check username and password.`,
      { device },
    );
  }
}
