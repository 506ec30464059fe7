import type { ChildEventName, LogEntry, LogRead } from '../../device/child-events';
import { isObject } from '../../util/json';
import { childRequest } from './client';
import type { SmartRequest } from './envelope';

/** Entries per get_trigger_logs page: what known clients ask. */
export const LOG_PAGE_SIZE = 5;
/** Pages one child's log may take in one poll (a longer backlog is read up to here, newest first). */
export const LOG_MAX_PAGES = 20;

/** What each log event is told as; events not named here are a `change` with the device's own name. */
const LOG_EVENTS: Readonly<Record<string, { name: ChildEventName; value?: unknown }>> = {
  motion: { name: 'motion', value: true },
  open: { name: 'open', value: true },
  close: { name: 'close', value: false },
  waterLeak: { name: 'leak', value: true },
  waterDry: { name: 'dry', value: false },
  singleClick: { name: 'press', value: true },
  doubleClick: { name: 'double-press', value: true },
  rotation: { name: 'rotate' },
};

/** One get_trigger_logs entry as a log entry; undefined for one without a whole id or an event name. */
export function logEntryOf(entry: unknown): LogEntry | undefined {
  if (!isObject(entry) || !Number.isSafeInteger(entry['id']) || typeof entry['event'] !== 'string') return undefined;
  const event = entry['event'];
  const known = Object.prototype.hasOwnProperty.call(LOG_EVENTS, event) ? LOG_EVENTS[event] : undefined;
  const params = isObject(entry['params']) ? entry['params'] : {};
  const degrees = typeof params['rotate_deg'] === 'number' ? params['rotate_deg'] : 0;
  const timestamp = typeof entry['timestamp'] === 'number' && Number.isFinite(entry['timestamp']) ? entry['timestamp'] : 0;
  return {
    id: entry['id'] as number,
    name: known?.name ?? 'change',
    value: known === undefined ? event : known.name === 'rotate' ? degrees : known.value,
    deviceEvent: event,
    timestamp,
  };
}

/**
 * Reads one child's trigger log (get_trigger_logs through control_child, newest first) back to the
 * last id seen: the first page, then as many older pages as the entries since then fill. Without
 * a last id (the first poll) only the newest id is wanted, so nothing old is told as new. Each page
 * after the first starts at the oldest id read so far: a hub that counts `start_id` inclusively
 * sends that entry again (dropped), one that counts it exclusively does not; either way none is lost.
 */
export class TriggerLogReader {
  private readonly seen = new Map<number, LogEntry>();
  private newestId: number | undefined;
  private pages = 0;

  constructor(
    readonly childId: string,
    private readonly afterId: number | undefined,
  ) {}

  /** The request for the first page. */
  first(): SmartRequest {
    return this.page(0, this.afterId === undefined ? 1 : LOG_PAGE_SIZE);
  }

  /** Takes a page's result; returns the request for the next page, or undefined when done. */
  take(result: Record<string, unknown>): SmartRequest | undefined {
    this.pages++;
    const page = (Array.isArray(result['logs']) ? result['logs'] : []).map(logEntryOf).filter((entry): entry is LogEntry => entry !== undefined);
    const fresh = page.filter((entry) => !this.seen.has(entry.id));
    for (const entry of fresh) this.seen.set(entry.id, entry);
    if (this.pages === 1) this.newestId = page.reduce((max, entry) => Math.max(max, entry.id), 0);
    if (this.afterId === undefined || fresh.length === 0 || this.pages >= LOG_MAX_PAGES) return undefined;
    const oldest = Math.min(...fresh.map((entry) => entry.id));
    // Done once the page reached what was seen, or the log's end (a short page).
    if (oldest <= this.afterId + 1 || page.length < LOG_PAGE_SIZE) return undefined;
    return this.page(oldest, LOG_PAGE_SIZE);
  }

  /** The entries after the last id seen, oldest first, and the newest id of the log. */
  result(): LogRead {
    const after = this.afterId ?? Infinity;
    const entries = [...this.seen.values()].filter((entry) => entry.id > after).sort((a, b) => a.id - b.id);
    return { entries, newestId: this.newestId ?? 0 };
  }

  private page(startId: number, pageSize: number): SmartRequest {
    return childRequest(this.childId, { method: 'get_trigger_logs', params: { start_id: startId, page_size: pageSize } });
  }
}
