import { randomBytes } from 'node:crypto';
import { displayText, displayValue } from '../../util/display-text';
import { ErrorCode, KasaError } from '../../util/errors';
import { MAX_JSON_DEPTH, MAX_JSON_VALUES, textNestsDeeperThan, valueWritesMoreThan } from '../../util/json-depth';
import { errCodeOf } from '../iot/reply';
import { isObject, parseReplyText } from '../../util/json';

/** One SMART call: a method and, when it takes any, its parameters. */
export interface SmartRequest {
  method: string;
  params?: Record<string, unknown>;
}

/** A reply as the dialect frames it: `error_code` 0 for success, `result` when there is one. */
export interface SmartReply {
  errorCode: number;
  /** Absent when the device sent none (a single set_* may come back without it). */
  result?: Record<string, unknown>;
}

/** Method names are identifiers (get_device_info, multipleRequest); anything else is no method. */
const METHOD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The terminal_uuid a client sends with every request: base64 of 16 random bytes, one per client. */
export function newTerminalUuid(): string {
  return randomBytes(16).toString('base64');
}

/** Throws BAD_INPUT unless `request` is a method name with, optionally, an object of parameters. */
export function checkSmartRequest(request: unknown): SmartRequest {
  if (!isObject(request)) {
    throw new KasaError(ErrorCode.BAD_INPUT, 'A SMART command must be an object such as {"method":"get_device_info"}.');
  }
  const method = request['method'];
  if (typeof method !== 'string' || !METHOD_NAME.test(method)) {
    const shown = method === undefined ? 'no method' : `the method ${displayValue(method)}`;
    throw new KasaError(ErrorCode.BAD_INPUT, `A SMART command needs a method name such as "get_device_info", not ${shown}.`);
  }
  const params = request['params'];
  if (params !== undefined && !isObject(params)) {
    throw new KasaError(ErrorCode.BAD_INPUT, `The params of the SMART command ${method} must be an object, not ${displayValue(params)}.`);
  }
  return params === undefined ? { method } : { method, params };
}

/**
 * The compact JSON of one SMART request: `{method, params?, request_time_milis, terminal_uuid}`,
 * `params` only when given. BAD_INPUT for a request no device could read.
 */
export function buildSmartRequest(request: SmartRequest, terminalUuid: string, now: number = Date.now()): string {
  return stampSmartRequest(prepareSmartRequest(request, terminalUuid), now);
}

/** A request checked and written once (see prepareSmartRequest); stamped with the time when it is sent. */
export interface PreparedSmartRequest {
  readonly request: SmartRequest;
  /** The JSON up to the time: `{"method":...,"params":...` without its closing brace. */
  readonly head: string;
  /** `,"terminal_uuid":"..."}`. */
  readonly tail: string;
}

/** The two scalars the envelope adds to a request: request_time_milis and terminal_uuid. */
const ENVELOPE_SCALARS = 2;

/**
 * Checks a request and writes its JSON, all but the time: every check of buildSmartRequest runs
 * here, once, and stampSmartRequest then writes the same text buildSmartRequest would, with the
 * time it is given (the time added is a number and the id a string: neither nests nor counts more).
 */
export function prepareSmartRequest(request: SmartRequest, terminalUuid: string): PreparedSmartRequest {
  const checked = checkSmartRequest(request);
  const method = checked.method;
  if (valueWritesMoreThan(checked, MAX_JSON_VALUES - ENVELOPE_SCALARS)) {
    throw new KasaError(
      ErrorCode.BAD_INPUT,
      `The SMART command ${method} cannot be written as JSON: it is circular or holds more than ${MAX_JSON_VALUES.toLocaleString('en-US')} values.`,
    );
  }
  let text: string;
  try {
    text = JSON.stringify(checked);
  } catch (cause) {
    const reason = cause instanceof Error ? displayText(cause.message.split('\n')[0]!, 100) : 'not serialisable';
    throw new KasaError(ErrorCode.BAD_INPUT, `The SMART command ${method} cannot be written as JSON (${reason}).`, { cause });
  }
  if (textNestsDeeperThan(text)) {
    throw new KasaError(ErrorCode.BAD_INPUT, `The SMART command ${method} is nested more than ${MAX_JSON_DEPTH} levels deep.`);
  }
  return { request: checked, head: text.slice(0, -1), tail: `,"terminal_uuid":${JSON.stringify(terminalUuid)}}` };
}

/** The prepared request's JSON with `request_time_milis` set to `now`. */
export function stampSmartRequest(prepared: PreparedSmartRequest, now: number = Date.now()): string {
  return `${prepared.head},"request_time_milis":${JSON.stringify(now)}${prepared.tail}`;
}

/**
 * Reads a reply text: a JSON object (nested no deeper than any device would) with a numeric
 * `error_code` and, if any, an object `result`. Anything else is PROTOCOL, never a throw of another kind.
 */
export function parseSmartReply(text: string, device: string): SmartReply {
  return readSmartReply(parseReplyText(text, device), device);
}

/**
 * The same checks on an already parsed value: a whole reply, or one entry of a batch or of
 * control_child. `what` names it in the error; a function is called only when there is one.
 */
export function readSmartReply(value: unknown, device: string, what: string | (() => string) = 'a reply'): SmartReply {
  const named = (): string => (typeof what === 'string' ? what : what());
  if (!isObject(value)) {
    throw new KasaError(ErrorCode.PROTOCOL, `${device} sent ${named()} that is not an object: ${displayValue(value)}.`, { device });
  }
  const errorCode = errCodeOf(value['error_code']);
  if (errorCode === undefined) {
    throw new KasaError(ErrorCode.PROTOCOL, `${device} sent ${named()} without an error_code, so it is not a SMART reply.`, { device });
  }
  const result = value['result'];
  if (result === undefined || (result === null && errorCode !== 0)) return { errorCode };
  if (!isObject(result)) {
    throw new KasaError(ErrorCode.PROTOCOL, `${device} sent ${named()} whose result is not an object: ${displayValue(result)}.`, { device });
  }
  return { errorCode, result };
}
