import { ErrorCode, KasaError } from './errors';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes decrypted reply bytes as strict UTF-8: anything else means a wrong protocol or a corrupt reply. */
export function decodeReplyText(plain: Uint8Array, device: string): string {
  try {
    return strictUtf8.decode(plain);
  } catch (cause) {
    throw new KasaError(ErrorCode.PROTOCOL, `${device} sent a reply that is not UTF-8 text (wrong protocol or port?).`, {
      device,
      cause,
    });
  }
}

/** Parses a reply text that must be a JSON object. */
export function parseReplyText(text: string, device: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new KasaError(ErrorCode.PROTOCOL, `${device} sent a reply that is not JSON: ${preview(text)}`, {
      device,
      cause,
    });
  }
  if (!isObject(value)) {
    throw new KasaError(ErrorCode.PROTOCOL, `${device} sent JSON that is not an object: ${preview(text)}`, { device });
  }
  return value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function preview(text: string): string {
  // Control characters would garble a status line or a log: show them as dots.
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\x00-\x1f\x7f-\x9f]/g, '.');
  return flat.length > 80 ? `${flat.slice(0, 80)}...` : flat;
}

/** err_code -1 "module not support" and -2 "member not support" mean the device lacks the feature. */
const UNSUPPORTED_CODES = new Set([-1, -2]);

/**
 * Throws a KasaError for the first module or method of the reply whose err_code is not 0.
 * Replies report errors either per module ({"emeter":{"err_code":-1}}) or per method.
 */
export function checkReply(reply: Record<string, unknown>, device: string): void {
  for (const [module, moduleReply] of Object.entries(reply)) {
    if (!isObject(moduleReply)) continue;
    throwIfFailed(moduleReply, device, module, undefined);
    for (const [method, methodReply] of Object.entries(moduleReply)) {
      if (isObject(methodReply)) throwIfFailed(methodReply, device, module, method);
    }
  }
}

function throwIfFailed(part: Record<string, unknown>, device: string, module: string, method: string | undefined): void {
  const errCode = part['err_code'];
  if (errCode === undefined || errCode === 0) return;
  const code = typeof errCode === 'number' ? errCode : Number(errCode);
  const errMsg = typeof part['err_msg'] === 'string' ? part['err_msg'] : undefined;
  const what = method === undefined ? module : `${module}.${method}`;
  const unsupported = UNSUPPORTED_CODES.has(code);
  const message = unsupported
    ? `${device} does not support ${what} (err_code ${code}${errMsg ? `, "${errMsg}"` : ''}).`
    : `${device} refused ${what}: err_code ${String(errCode)}${errMsg ? ` "${errMsg}"` : ''}.`;
  throw new KasaError(unsupported ? ErrorCode.NOT_SUPPORTED : ErrorCode.DEVICE_ERROR, message, {
    device,
    module,
    ...(method === undefined ? {} : { method }),
    errCode: code,
    ...(errMsg === undefined ? {} : { errMsg }),
  });
}
