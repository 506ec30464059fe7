import type { Request, Response } from 'express';
import { displayText } from '../../src/util/display-text';
import { ErrorCode, KasaError } from '../../src/util/errors';

/** A query parameter given once, as text; BAD_INPUT when it is repeated or structured (?a[]=1). */
export function singleParameter(query: Request['query'], name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new KasaError(ErrorCode.BAD_INPUT, `Give the parameter ${name} once, as text.`);
  return value;
}

/** 400 for what the request got wrong, 502 for what the device or network did; the message for the dialog. */
export function answerError(res: Response, err: unknown): void {
  const error =
    err instanceof KasaError
      ? err
      : new KasaError(ErrorCode.INTERNAL, `Unexpected failure (please report it): ${err instanceof Error ? displayText(err.message, 200) : 'unknown'}`, {
          cause: err,
        });
  res.status(error.code === ErrorCode.BAD_INPUT ? 400 : 502).json({ error: error.message, code: error.code });
}
