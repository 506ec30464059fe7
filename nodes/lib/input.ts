import type { Node, NodeMessage, NodeMessageInFlow } from 'node-red';
import { ErrorCode, KasaError } from '../../src/errors';
import { errorStatus } from './status';

type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;

/**
 * Wires an async input handler so that every message ends in exactly one `done()`: an output, or
 * an error a Catch node receives with its code. Nothing thrown inside can reach the runtime.
 */
export function handleInput(node: Node, handler: (msg: NodeMessageInFlow, send: Send) => Promise<void>): void {
  node.on('input', (msg: NodeMessageInFlow, send: Send, done: (err?: Error) => void) => {
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      done(err);
    };
    handler(msg, send).then(
      () => finish(),
      (err: unknown) => {
        const error = asError(err);
        node.status(errorStatus(error));
        finish(error);
      },
    );
  });
}

/** Anything thrown becomes an Error with a `code`, so Catch nodes can branch on msg.error.code. */
export function asError(err: unknown): Error {
  if (err instanceof KasaError) return err;
  if (err instanceof Error) {
    return new KasaError(ErrorCode.INTERNAL, `Unexpected failure (please report it): ${err.message}`, { cause: err });
  }
  return new KasaError(ErrorCode.INTERNAL, `Unexpected failure (please report it): ${String(err)}`);
}
