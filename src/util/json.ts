/** Reading devices' JSON: strict UTF-8, bounded nesting, objects only. Shared by every family. */
import { displayText } from './display-text';
import { ErrorCode, KasaError } from './errors';
import { MAX_JSON_DEPTH, textNestsDeeperThan } from './json-depth';

/** A JSON object as it came or goes: a request or reply in a device's own dialect. */
export type JsonObject = Record<string, unknown>;

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

/** Parses a reply text that must be a JSON object, nested no deeper than any device would. */
export function parseReplyText(text: string, device: string): Record<string, unknown> {
  if (textNestsDeeperThan(text)) {
    throw new KasaError(ErrorCode.PROTOCOL, `${device} sent a reply nested more than ${MAX_JSON_DEPTH} levels deep.`, { device });
  }
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
  return displayText(text, 80);
}

/** Whether an object has an enumerable key of its own, found without listing them all (hot paths). */
export function hasOwnKey(value: object): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}
