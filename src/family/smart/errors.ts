import { displayText } from '../../util/display-text';
import { ErrorCode, KasaError } from '../../util/errors';

/**
 * The SMART dialect's error codes, sorted by what a client does about them (PROTOCOL.md section 5):
 * - session: the device's side of the session is gone; handshake again, then a read may be retried.
 * - auth: the credentials were not accepted.
 * - unsupported: the device does not have the method (or, for an absent get_*, says "params error").
 * - other: the device failed or could not read the request.
 */
export type SmartErrorClass = 'session' | 'auth' | 'unsupported' | 'other';

interface CodeFacts {
  readonly kind: SmartErrorClass;
  /** What the code means, in words a flow's author reads. */
  readonly meaning: string;
}

const KNOWN: ReadonlyMap<number, CodeFacts> = new Map<number, CodeFacts>([
  [9999, { kind: 'session', meaning: 'session timed out' }],
  [1002, { kind: 'session', meaning: 'transport not available' }],
  [1112, { kind: 'session', meaning: 'transport failed' }],
  [-1001, { kind: 'session', meaning: 'unspecific session error' }],
  [-40401, { kind: 'session', meaning: 'session expired' }],
  [-40413, { kind: 'session', meaning: 'session error' }],
  [-1501, { kind: 'auth', meaning: 'login failed' }],
  [1111, { kind: 'auth', meaning: 'login failed' }],
  [1100, { kind: 'auth', meaning: 'handshake failed' }],
  [1003, { kind: 'auth', meaning: 'not logged in' }],
  [-1005, { kind: 'auth', meaning: 'request could not be decrypted' }],
  [-40412, { kind: 'auth', meaning: 'account not accepted' }],
  [-1002, { kind: 'unsupported', meaning: 'unknown method' }],
  [-1008, { kind: 'unsupported', meaning: 'invalid parameters' }],
  [-1, { kind: 'other', meaning: 'failed' }],
  [-1003, { kind: 'other', meaning: 'the device could not read the request' }],
  [-1010, { kind: 'other', meaning: 'invalid public key' }],
]);

/** The class of a non-zero SMART error code; codes no one has documented are 'other'. */
export function smartErrorClass(code: number): SmartErrorClass {
  return KNOWN.get(code)?.kind ?? 'other';
}

/** The KasaError code each class maps to: flows branch on these, as for Kasa devices. */
export const SMART_CLASS_CODES: Readonly<Record<SmartErrorClass, ErrorCode>> = {
  session: ErrorCode.DEVICE_ERROR,
  auth: ErrorCode.AUTH,
  unsupported: ErrorCode.NOT_SUPPORTED,
  other: ErrorCode.DEVICE_ERROR,
};

/**
 * The KasaError for a SMART error code answered to `method`: a plain message naming the method
 * and the code, with `errCode` and `method` set for flows and logs.
 */
export function smartError(code: number, method: string, device: string): KasaError {
  const facts = KNOWN.get(code);
  const kind = facts?.kind ?? 'other';
  const shownMethod = displayText(method);
  const detail = `SMART error ${code}${facts === undefined ? '' : `, ${facts.meaning}`}`;
  let message: string;
  switch (kind) {
    case 'session':
      message = `${device} ended the session while answering ${shownMethod} (${detail}); a new session is opened for the next request.`;
      break;
    case 'auth':
      message = `${device} refused ${shownMethod} because the TP-Link account was not accepted (${detail}). Check the e-mail and password of the Tapo or Kasa app in the device's settings.`;
      break;
    case 'unsupported':
      // -1008 is also what a device answers to parameters it cannot use.
      message =
        code === -1008
          ? `${device} does not support ${shownMethod}, or refused its parameters (${detail}).`
          : `${device} does not support ${shownMethod} (${detail}).`;
      break;
    case 'other':
      message = `${device} could not carry out ${shownMethod} (${detail}).`;
      break;
  }
  return new KasaError(SMART_CLASS_CODES[kind], message, { device, method, errCode: code });
}
