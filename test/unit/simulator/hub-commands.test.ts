import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, KasaError } from '../../../src/util/errors';
import { SimHub } from '../../../src/simulator/smart/hub';
import { DEMO_EVENTS, fireOn, parseHubCommand } from '../../../src/simulator/smart/hub-commands';

const badInput = (pattern: RegExp) => (err: unknown) => err instanceof KasaError && err.code === ErrorCode.BAD_INPUT && pattern.test(err.message);

void describe('hub commands typed at tplink-sim', () => {
  void it('reads fire lines with an event, a number and a child in any order', () => {
    assert.deepEqual(parseHubCommand('fire motion'), { kind: 'fire', event: { type: 'motion' } });
    assert.deepEqual(parseHubCommand('  FIRE open T110 '), { kind: 'fire', event: { type: 'open' }, child: 't110' });
    assert.deepEqual(parseHubCommand('fire rotate -30 button'), { kind: 'fire', event: { type: 'rotation', degrees: -30 }, child: 'button' });
    assert.deepEqual(parseHubCommand('fire climate temperature 27.5'), { kind: 'fire', event: { type: 'temperature', value: 27.5 }, child: 'climate' });
    assert.deepEqual(parseHubCommand('fire double-press'), { kind: 'fire', event: { type: 'doubleClick' } });
    assert.deepEqual(parseHubCommand('list'), { kind: 'list' });
    assert.equal(parseHubCommand('   '), undefined);
  });

  void it('says what is wrong with a line', () => {
    assert.throws(() => parseHubCommand('boom'), badInput(/Unknown command "boom"/));
    assert.throws(() => parseHubCommand('fire'), badInput(/Say which event/));
    assert.throws(() => parseHubCommand('fire rotate'), badInput(/needs a number/));
    assert.throws(() => parseHubCommand('fire motion 3'), badInput(/takes no number/));
    assert.throws(() => parseHubCommand('fire motion t100 t110'), badInput(/Too many words/));
  });

  void it('fires on the first child that can when none is named; every demo event fits its child', () => {
    const hub = new SimHub('AB'.repeat(20), 'unit', () => 1_700_000_000, 3);
    assert.equal(fireOn(hub, { type: 'leak' }).child.spec.model, 'T300');
    assert.equal(fireOn(hub, { type: 'singleClick' }).child.spec.model, 'S200B');
    for (const { child, event } of DEMO_EVENTS) assert.doesNotThrow(() => fireOn(hub, event, child), `${child} ${event.type}`);
  });
});
