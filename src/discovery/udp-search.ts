import * as dgram from 'node:dgram';
import { ErrorCode, KasaError, fromSocketError } from '../util/errors';
import { formatAddress } from '../transport/transport';

/** One datagram to send each round. */
export interface SearchTarget {
  address: string;
  port: number;
  request: Buffer;
  /** The broadcast (errors say so), or a host entry (index into the host list). */
  entry: 'broadcast' | number;
}

/** What one answer found: the device under its key, and the host entries it answers. */
export interface Found<T> {
  key: string;
  item: T;
  entries: readonly number[];
}

export interface SearchPlan<T> {
  targets: SearchTarget[];
  /** Host entries asked; without a broadcast the search ends once each has answered. */
  entries: number;
  broadcasting: boolean;
  timeoutMs: number;
  rounds: number;
  bindAddress: string | undefined;
  signal: AbortSignal | undefined;
  /** Reads one datagram; null for anything that is not an answer (never throws). */
  read: (datagram: Buffer, from: dgram.RemoteInfo) => Found<T> | null;
  /** Folds a later answer about a known device into what is known. Default: the first stays. */
  merge?: (known: T, incoming: T) => T;
  onNew?: (item: T) => void;
}

/**
 * The socket side of a search: sends every target's request in rounds spread over the timeout,
 * gathers answers by key, ends at the timeout, on abort, or once every host entry answered (when
 * not broadcasting). Resolves only once its socket is closed.
 */
export function runSearch<T>(plan: SearchPlan<T>): Promise<T[]> {
  const { targets, timeoutMs, rounds, bindAddress, signal, broadcasting } = plan;
  return new Promise<T[]>((resolve, reject) => {
    const found = new Map<string, T>();
    const socket = dgram.createSocket('udp4');
    const unanswered = broadcasting ? null : new Set(Array.from({ length: plan.entries }, (_v, i) => i));
    let roundTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const finish = (err?: KasaError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(roundTimer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('message', onMessage);
      const settle = (): void => (err === undefined ? resolve([...found.values()]) : reject(err));
      try {
        // Settle only once the socket is really closed, so callers never see a socket left behind.
        socket.close(settle);
      } catch {
        settle(); // already closed by a failed bind
      }
    };
    const onAbort = (): void => finish();
    const onMessage = (datagram: Buffer, from: dgram.RemoteInfo): void => {
      const answer = plan.read(datagram, from);
      if (answer === null) return;
      const known = found.get(answer.key);
      if (known === undefined) {
        found.set(answer.key, answer.item);
        try {
          plan.onNew?.(answer.item);
        } catch {
          // A failing callback is the caller's bug; it must not stop discovery or escape as an uncaught error.
        }
      } else if (plan.merge !== undefined) {
        found.set(answer.key, plan.merge(known, answer.item));
      }
      for (const entry of answer.entries) unanswered?.delete(entry);
      if (unanswered?.size === 0) finish();
    };
    const sendRound = (round: number): void => {
      for (const target of targets) {
        socket.send(target.request, target.port, target.address, (err) => {
          if (err) finish(sendError(err, target));
        });
      }
      if (round + 1 < rounds) roundTimer = setTimeout(() => sendRound(round + 1), timeoutMs / rounds);
    };

    const deadline = setTimeout(() => finish(), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('message', onMessage);
    socket.on('error', (err: NodeJS.ErrnoException) => finish(bindError(err, bindAddress)));
    socket.bind({ port: 0, ...(bindAddress === undefined ? {} : { address: bindAddress }) }, () => {
      if (settled) return;
      try {
        if (broadcasting) socket.setBroadcast(true);
      } catch (err) {
        finish(sendError(err as NodeJS.ErrnoException, targets[0]!));
        return;
      }
      sendRound(0);
    });
  });
}

/**
 * The host entries an answer from `from` belongs to, and the port they asked: those asked on that
 * address and port, else the only one asked on that address (devices may answer from another
 * port), else none.
 */
export function entriesOf(targets: readonly SearchTarget[], from: { address: string; port: number }): { port: number; entries: number[] } | undefined {
  const sameAddress = targets.filter((t) => t.entry !== 'broadcast' && t.address === from.address);
  const samePort = sameAddress.filter((t) => t.port === from.port);
  if (samePort.length > 0) return { port: from.port, entries: samePort.map((t) => t.entry as number) };
  const entries = [...new Set(sameAddress.map((t) => t.entry as number))];
  return entries.length === 1 ? { port: sameAddress[0]!.port, entries } : undefined;
}

function sendError(err: NodeJS.ErrnoException, target: SearchTarget): KasaError {
  const where = formatAddress(target.address, target.port);
  if (err.code === 'EACCES' || err.code === 'EPERM') {
    const what = target.entry === 'broadcast' ? `Broadcasting to ${where}` : `Sending to ${where}`;
    return new KasaError(ErrorCode.UNREACHABLE, `${what} is not permitted here (${err.code}); a firewall or the container may forbid it. Try a list of hosts instead.`, {
      device: where,
      cause: err,
    });
  }
  return fromSocketError(err, where);
}

function bindError(err: NodeJS.ErrnoException, bindAddress: string | undefined): KasaError {
  const where = bindAddress ?? '0.0.0.0';
  if (err.code === 'EADDRNOTAVAIL') {
    return new KasaError(ErrorCode.BAD_INPUT, `The local address ${where} does not belong to this machine.`, { cause: err });
  }
  return new KasaError(ErrorCode.UNREACHABLE, `Discovery could not use a UDP socket on ${where}: ${err.message}`, { cause: err });
}
