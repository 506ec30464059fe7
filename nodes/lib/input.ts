import type { Node, NodeMessage, NodeMessageInFlow } from 'node-red';
import { displayValue } from '../../src/util/display-text';
import { ErrorCode, KasaError } from '../../src/util/errors';
import { valueNestsDeeperThan } from '../../src/util/json-depth';
import { errorStatus } from './status';

type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;

/**
 * Node-RED copies a message for every extra wire, Catch and Complete node, recursively: one
 * nested some thousands of levels deep makes that copy overflow the stack. No flow needs a
 * hundredth of this; a deeper message is refused before the device is asked anything.
 */
export const MAX_MESSAGE_DEPTH = 256;

/**
 * Wires an async input handler so that every message ends in exactly one `done()`: an output, or
 * an error a Catch node receives with its code. Nothing thrown inside can reach the runtime:
 * not from the handler, not from `send()` and not from `done()` itself.
 */
export function handleInput(node: Node, handler: (msg: NodeMessageInFlow, send: Send) => Promise<void>): void {
  node.on('input', (msg: NodeMessageInFlow, send: Send, done: (err?: Error) => void) => {
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      try {
        done(err);
      } catch (failure) {
        reportUncopyable(node, msg, err ?? uncopyable('Complete nodes', failure));
      }
    };
    const guardedSend: Send = (out) => {
      try {
        send(out);
      } catch (failure) {
        throw uncopyable('the next nodes', failure);
      }
    };
    const work = tooDeep(msg)
      ? Promise.reject(
          new KasaError(
            ErrorCode.BAD_INPUT,
            `The message cannot be passed on: it is nested more than ${MAX_MESSAGE_DEPTH} levels deep, or a property of it cannot be read.`,
          ),
        )
      : handler(msg, guardedSend);
    work.then(
      () => finish(),
      (err: unknown) => {
        const error = asError(err);
        node.status(errorStatus(error));
        finish(error);
      },
    );
  });
}

function tooDeep(msg: NodeMessageInFlow): boolean {
  try {
    // msg.req and msg.res (HTTP In) are not copied by Node-RED, so not walked here either.
    return valueNestsDeeperThan(msg, MAX_MESSAGE_DEPTH, { cycles: 'ignore', skip: ['req', 'res'] });
  } catch {
    return true; // a getter that throws: Node-RED's copy would throw too
  }
}

/**
 * Node-RED copies a message for every extra wire, Catch and Complete node; a message it cannot
 * copy (nested thousands of levels deep, a getter that throws) makes that copy throw.
 */
function uncopyable(forWhom: string, cause: unknown): KasaError {
  return new KasaError(
    ErrorCode.BAD_INPUT,
    `Node-RED could not copy this message for ${forWhom}: is something in it nested too deeply, or is a property of it unreadable?`,
    { cause },
  );
}

/**
 * Reports an error with a message Node-RED can copy: the original could not be, so Catch nodes got
 * nothing yet. The copy keeps every top-level property that can be copied (topic, _msgid, the
 * flow's own ids...) and leaves out those nested too deeply or unreadable, so a Catch flow can tell
 * which message failed. Should even that copy fail (a getter that throws only on a later read),
 * `_msgid` and a string `topic` are sent alone.
 */
function reportUncopyable(node: Node, msg: NodeMessageInFlow, err: Error): void {
  const copyable: Record<string, unknown> = {};
  let keys: string[] = [];
  try {
    keys = Object.keys(msg);
  } catch {
    // a Proxy that refuses to list its keys: the bare stub below
  }
  for (const key of keys) {
    try {
      const value = (msg as Record<string, unknown>)[key];
      if (!valueNestsDeeperThan(value, MAX_MESSAGE_DEPTH, { cycles: 'ignore' })) copyable[key] = value;
    } catch {
      // unreadable: left out
    }
  }
  const bare: Record<string, unknown> = { _msgid: msg._msgid };
  if (typeof msg.topic === 'string') bare['topic'] = msg.topic;
  for (const stub of [copyable, bare]) {
    try {
      node.error(err, stub as NodeMessage);
      return;
    } catch {
      // Node-RED could not copy this one either: try the bare one, then give up.
    }
  }
}

/**
 * Anything thrown becomes an Error with a `code`, so Catch nodes can branch on msg.error.code. An
 * account refused also says where it goes in Node-RED (the core's message does not say where).
 */
export function asError(err: unknown): Error {
  if (err instanceof KasaError && err.code === ErrorCode.AUTH && err.message.includes('TP-Link account') && !err.message.includes('device node')) {
    return new KasaError(ErrorCode.AUTH, `${err.message} In Node-RED: the Account and Password of the device node.`, { ...(err.device === undefined ? {} : { device: err.device }), cause: err });
  }
  if (err instanceof KasaError) return err;
  if (err instanceof Error) {
    return new KasaError(ErrorCode.INTERNAL, `Unexpected failure (please report it): ${err.message}`, { cause: err });
  }
  return new KasaError(ErrorCode.INTERNAL, `Unexpected failure (please report it): ${displayValue(err)}`);
}
