import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOG_PAGE_SIZE, TriggerLogReader, logEntryOf } from '../../../../src/family/smart/trigger-log';
import type { SmartRequest } from '../../../../src/family/smart/envelope';

type Entry = { id: number; event: string; timestamp: number; params?: Record<string, unknown> };

/** A log newest first, paged as the simulated hub pages it: from start_id (0: the newest) down, start_id counted inclusively or not. */
function logOf(ids: number[], inclusive = true) {
  const entries: Entry[] = ids.map((id) => ({ id, event: 'singleClick', timestamp: 1_700_000_000 + id })).reverse();
  return (request: SmartRequest): Record<string, unknown> => {
    const inner = (request.params!['requestData'] as { params: { start_id: number; page_size: number } }).params;
    const from = entries.filter((e) => inner.start_id === 0 || (inclusive ? e.id <= inner.start_id : e.id < inner.start_id));
    return { logs: from.slice(0, inner.page_size), start_id: from[0]?.id ?? 0, sum: entries.length };
  };
}

function readAll(reader: TriggerLogReader, answer: (request: SmartRequest) => Record<string, unknown>): { pages: number; ids: number[]; newest: number } {
  let pages = 0;
  for (let request: SmartRequest | undefined = reader.first(); request !== undefined; pages++) request = reader.take(answer(request));
  const { entries, newestId } = reader.result();
  return { pages, ids: entries.map((e) => e.id), newest: newestId };
}

void describe('trigger-log reading', () => {
  void it('the first read only learns the newest id, asking one entry', () => {
    const reader = new TriggerLogReader('child', undefined);
    assert.equal((reader.first().params!['requestData'] as { params: { page_size: number } }).params.page_size, 1);
    assert.deepEqual(readAll(reader, logOf([10, 11, 12])), { pages: 1, ids: [], newest: 12 });
    assert.deepEqual(readAll(new TriggerLogReader('child', undefined), logOf([])), { pages: 1, ids: [], newest: 0 });
  });

  void it('reads back page by page to the last id seen, oldest first, whether start_id counts inclusively or not', () => {
    const ids = Array.from({ length: 30 }, (_v, i) => 100 + i);
    for (const inclusive of [true, false]) {
      const read = readAll(new TriggerLogReader('child', 111), logOf(ids, inclusive));
      assert.deepEqual(read.ids, ids.filter((id) => id > 111), `inclusive ${inclusive}`);
      assert.equal(read.newest, 129);
      assert.ok(read.pages >= Math.ceil(18 / LOG_PAGE_SIZE) && read.pages <= 5, `${read.pages} pages`);
    }
  });

  void it('one page when nothing or little is new; stops at the end of a short log', () => {
    assert.deepEqual(readAll(new TriggerLogReader('c', 12), logOf([10, 11, 12])), { pages: 1, ids: [], newest: 12 });
    assert.deepEqual(readAll(new TriggerLogReader('c', 11), logOf([10, 11, 12])), { pages: 1, ids: [12], newest: 12 });
    // Ids with gaps, and a log that lost what was seen: all that is there, in order.
    assert.deepEqual(readAll(new TriggerLogReader('c', 3), logOf([20, 22, 24, 26, 28, 30, 32])).ids, [20, 22, 24, 26, 28, 30, 32]);
  });

  void it('entries as events: buttons, contact, water, rotation degrees; others a change with their own name; odd ones left out', () => {
    const of = (event: string, params?: Record<string, unknown>) => {
      const entry = logEntryOf({ id: 1, event, timestamp: 5, ...(params ? { params } : {}) })!;
      return [entry.name, entry.value];
    };
    assert.deepEqual(
      [of('singleClick'), of('doubleClick'), of('rotation', { rotate_deg: -30 }), of('open'), of('close'), of('waterLeak'), of('waterDry'), of('motion'), of('tooHumid')],
      [
        ['press', true],
        ['double-press', true],
        ['rotate', -30],
        ['open', true],
        ['close', false],
        ['leak', true],
        ['dry', false],
        ['motion', true],
        ['change', 'tooHumid'],
      ],
    );
    assert.equal(logEntryOf({ id: 'x', event: 'motion' }), undefined);
    assert.equal(logEntryOf({ id: 2 }), undefined);
    assert.equal(logEntryOf(null), undefined);
    assert.equal(logEntryOf({ id: 3, event: 'toString' })!.name, 'change');
  });
});
