import { displayText } from './display-text';
import { KasaError } from './errors';

/** One exchange with a device, as a bug report needs it. */
export interface ExchangeTrace {
  /** host:port */
  device: string;
  /** The request JSON as sent. */
  sent: string;
  /** The reply text as received (decrypted), when there was one. */
  received?: string;
  /** The failure, when the exchange failed. */
  error?: { code: string; message: string };
  ms: number;
}

/** Hands one exchange to a trace listener; a listener that throws must not fail the request. */
export function reportExchange(
  listener: ((trace: ExchangeTrace) => void) | undefined,
  exchange: { device: string; sent: string; received: string | undefined; err: unknown; started: number },
): void {
  if (listener === undefined) return;
  const { device, sent, received, err, started } = exchange;
  try {
    listener({
      device,
      sent,
      ...(received === undefined ? {} : { received }),
      ...(err === undefined ? {} : { error: err instanceof KasaError ? { code: err.code, message: err.message } : { code: 'INTERNAL', message: String(err) } }),
      ms: Date.now() - started,
    });
  } catch {
    // A trace that fails must not fail the request.
  }
}

/** Values under these keys never appear in a trace: a raw cnCloud.bind or netif.set_stainfo carries them. */
const SECRET_KEYS = /^(user(name)?|pass(word|wd)?|pwd|token|secret|key)$/i;
/** A trace line keeps a reply's first characters: enough for a bug report, not a 1 MiB log line. */
const MAX_TRACED_CHARS = 4000;

/**
 * The line a config node logs at Node-RED's trace level for each exchange: request and reply
 * JSON, with every credential-like value replaced by "***", control characters removed.
 */
export function formatExchangeTrace(trace: ExchangeTrace): string {
  const outcome =
    trace.error !== undefined ? `failed ${trace.error.code}: ${trace.error.message}` : `received ${clip(trace.received ?? '')}`;
  return `${trace.device} ${trace.ms} ms: sent ${clip(redactSecrets(trace.sent))} ${outcome}`;
}

/** JSON text with the values of credential-like keys replaced; text that is not JSON is left out. */
export function redactSecrets(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), (key, value: unknown) => (SECRET_KEYS.test(key) && typeof value !== 'object' ? '***' : value));
  } catch {
    return '(not JSON)';
  }
}

function clip(text: string): string {
  return displayText(text, MAX_TRACED_CHARS);
}
