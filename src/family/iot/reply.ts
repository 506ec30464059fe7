import { displayText, displayValue } from '../../util/display-text';
import { ErrorCode, KasaError } from '../../util/errors';
import { isObject } from '../../util/json';

/**
 * The Smart Home protocol has no request id: a reply is known to answer a request only by
 * mirroring it. Throws PROTOCOL unless every module asked is in the reply, with every method
 * asked or a module-wide err_code ({"emeter":{"err_code":-1}}).
 */
export function checkAnswers(request: Record<string, unknown>, reply: Record<string, unknown>, device: string): void {
  for (const module of Object.keys(request)) {
    if (module === 'context') continue;
    const methods = request[module];
    const answer = reply[module];
    const answered = hasOwn(reply, module) && (!isObject(methods) || (isObject(answer) && (hasOwn(answer, 'err_code') || answersEvery(answer, methods))));
    if (!answered) {
      throw new KasaError(
        ErrorCode.PROTOCOL,
        `${device} sent a reply that does not answer the request (no ${displayText(module)} in it); it was not used.`,
        { device },
      );
    }
  }
}

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

/** Every method asked has its answer in the module's reply. */
function answersEvery(answer: Record<string, unknown>, methods: Record<string, unknown>): boolean {
  for (const method of Object.keys(methods)) if (!hasOwn(answer, method)) return false;
  return true;
}

/** err_code -1 "module not support" and -2 "member not support" mean the device lacks the feature. */
const UNSUPPORTED_CODES = new Set([-1, -2]);

/**
 * Throws a KasaError for the first module or method of the reply whose err_code is not 0.
 * Replies report errors either per module ({"emeter":{"err_code":-1}}) or per method.
 */
export function checkReply(reply: Record<string, unknown>, device: string): void {
  for (const module of Object.keys(reply)) {
    const moduleReply = reply[module];
    if (!isObject(moduleReply)) continue;
    throwIfFailed(moduleReply, device, module, undefined);
    for (const method of Object.keys(moduleReply)) {
      const methodReply = moduleReply[method];
      if (isObject(methodReply)) throwIfFailed(methodReply, device, module, method);
    }
  }
}

/**
 * An err_code as a number: firmware sends numbers, but a string ("0", "-1") is read the same.
 * Anything else (an object, true, "abc") is no code at all: undefined.
 */
export function errCodeOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
}

function throwIfFailed(part: Record<string, unknown>, device: string, module: string, method: string | undefined): void {
  if (!hasOwn(part, 'err_code')) return;
  const raw = part['err_code'];
  const code = errCodeOf(raw);
  if (code === 0) return;
  const errMsg = typeof part['err_msg'] === 'string' ? displayText(part['err_msg'], 120) : undefined;
  const what = displayText(method === undefined ? module : `${module}.${method}`);
  const shown = code === undefined ? displayValue(raw) : String(code);
  const unsupported = code !== undefined && UNSUPPORTED_CODES.has(code);
  const message = unsupported
    ? `${device} does not support ${what} (err_code ${shown}${errMsg ? `, "${errMsg}"` : ''}).`
    : `${device} refused ${what}: err_code ${shown}${errMsg ? ` "${errMsg}"` : ''}.`;
  throw new KasaError(unsupported ? ErrorCode.NOT_SUPPORTED : ErrorCode.DEVICE_ERROR, message, {
    device,
    module,
    ...(method === undefined ? {} : { method }),
    ...(code === undefined ? {} : { errCode: code }),
    ...(errMsg === undefined ? {} : { errMsg }),
  });
}
