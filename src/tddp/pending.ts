import { ErrorCode, KasaError } from '../util/errors';
import { TddpCode, peekTddpPacket } from './packet';

export type ReplyListener = (datagram: Buffer) => void;

const ID_COUNT = 0x10000;

/**
 * Requests waiting for their reply, keyed by (device address, TDDP id): devices echo the id, and
 * may reply to whichever port, so this table is shared by every reply socket of the process.
 */
export class PendingReplies {
  private readonly waiting = new Map<string, Map<number, ReplyListener>>();
  /** Ids keep counting per device across requests, so a late reply cannot meet a new request. */
  private readonly lastId = new Map<string, number>();

  /**
   * Registers a listener and returns the id to send. Without `id`, the next free one (16 bits,
   * wrapping). Throws KasaError(BAD_INPUT) when that id is already waiting for this device.
   */
  register(address: string, listener: ReplyListener, id?: number): number {
    const forDevice = this.waiting.get(address) ?? new Map<number, ReplyListener>();
    const chosen = id ?? this.nextFreeId(address, forDevice);
    if (forDevice.has(chosen)) {
      throw new KasaError(ErrorCode.BAD_INPUT, `A TDDP request with id ${chosen} to ${address} is still waiting for its reply.`);
    }
    forDevice.set(chosen, listener);
    this.waiting.set(address, forDevice);
    return chosen;
  }

  unregister(address: string, id: number): void {
    const forDevice = this.waiting.get(address);
    if (forDevice === undefined) return;
    forDevice.delete(id);
    if (forDevice.size === 0) this.waiting.delete(address);
  }

  /** Hands a datagram to the request waiting for it; anything else is ignored. Returns whether it was taken. */
  dispatch(datagram: Buffer, fromAddress: string): boolean {
    const peeked = peekTddpPacket(datagram);
    // A request (code 1) is never an answer, even when it carries a waiting id.
    if (peeked === undefined || peeked.code === TddpCode.REQUEST) return false;
    const listener = this.waiting.get(fromAddress)?.get(peeked.id);
    if (listener === undefined) return false;
    listener(datagram);
    return true;
  }

  /** Number of requests waiting, all devices together. */
  get size(): number {
    let total = 0;
    for (const forDevice of this.waiting.values()) total += forDevice.size;
    return total;
  }

  private nextFreeId(address: string, forDevice: Map<number, ReplyListener>): number {
    if (forDevice.size >= ID_COUNT) {
      throw new KasaError(ErrorCode.BAD_INPUT, `${ID_COUNT} TDDP requests to ${address} are already waiting; wait for some to finish.`);
    }
    let id = this.lastId.get(address) ?? 0;
    do {
      id = (id + 1) % ID_COUNT;
    } while (forDevice.has(id));
    this.lastId.set(address, id);
    return id;
  }
}

/** The process-wide table every reply socket routes into. */
export const pendingReplies = new PendingReplies();
