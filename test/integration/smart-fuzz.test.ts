import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ErrorCode, KasaError } from '../../src/util/errors';
import { SmartClient } from '../../src/family/smart/client';
import { parseComponents } from '../../src/family/smart/components';
import { normaliseChildList, normaliseSmartDeviceInfo } from '../../src/family/smart/device-info';
import { combineSmartEnergy, normaliseEnergyData } from '../../src/family/smart/energy';
import { parseSmartReply } from '../../src/family/smart/envelope';
import type { Device } from '../../src/device/device';
import { connectDevice } from '../../src/family/connect';
import { SmartDevice } from '../../src/simulator/smart/device';
import type { Transport } from '../../src/transport/transport';
import { RogueSmartDevice } from '../support/rogue-smart';

/** Runs `run`; anything it throws must be a KasaError, and never INTERNAL. */
function onlyKasaErrors(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (err) {
    if (err instanceof KasaError && err.code !== ErrorCode.INTERNAL) return true;
    throw err;
  }
}

const RUNS = { numRuns: 300 };
const anything = fc.anything({ maxDepth: 4 });
const objects = fc.dictionary(fc.constantFrom('nickname', 'ssid', 'device_on', 'model', 'mac', 'on_time', 'rssi', 'overheated', 'device_id', 'x'), anything);

void describe('fuzzing the SMART parsers', () => {
  void it('parseSmartReply returns or throws PROTOCOL for any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), anything.map((v) => JSON.stringify({ error_code: 0, result: v }) ?? '')), (text) =>
        onlyKasaErrors(() => parseSmartReply(text, 'dev')),
      ),
      RUNS,
    );
  });

  void it('the normalisers return or throw a KasaError for any value', () => {
    fc.assert(
      fc.property(fc.oneof(anything, objects), (value) => {
        onlyKasaErrors(() => normaliseSmartDeviceInfo(value));
        onlyKasaErrors(() => normaliseChildList(Array.isArray(value) ? value : [value]));
        onlyKasaErrors(() => parseComponents(value));
        onlyKasaErrors(() => normaliseEnergyData(value));
        onlyKasaErrors(() => combineSmartEnergy({ energyUsage: value as Record<string, unknown> }));
        return true;
      }),
      RUNS,
    );
  });

  void it('a nickname of any kind never throws and decodes to a string', () => {
    fc.assert(
      fc.property(anything, (nickname) => typeof normaliseSmartDeviceInfo({ nickname }).alias === 'string'),
      RUNS,
    );
  });

  void it('the simulated device answers any request text with a SMART reply', () => {
    const device = new SmartDevice({ model: 'p300' });
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.json(), fc.record({ method: fc.constantFrom('multipleRequest', 'control_child', 'set_device_info', 'get_child_device_list'), params: anything }).map((v) => JSON.stringify(v))),
        (text) => {
          const reply = parseSmartReply(device.handle(text), 'sim');
          return Number.isSafeInteger(reply.errorCode);
        },
      ),
      RUNS,
    );
  });

  void it('SmartClient.callMany turns any batch answer into outcomes or a KasaError', async () => {
    await fc.assert(
      fc.asyncProperty(anything, async (answer) => {
        const transport: Transport = {
          kind: 'klap',
          address: 'fake:80',
          exchange: (json) =>
            Promise.resolve(
              (JSON.parse(json) as { method: string }).method === 'multipleRequest'
                ? JSON.stringify({ error_code: 0, result: { responses: answer } })
                : '{"error_code":0,"result":{}}',
            ),
          close: () => Promise.resolve(),
        };
        try {
          const outcomes = await new SmartClient({ transport }).callMany([{ method: 'get_a' }, { method: 'get_b' }]);
          assert.equal(outcomes.length, 2);
        } catch (err) {
          if (!(err instanceof KasaError) || err.code === ErrorCode.INTERNAL) throw err;
        }
      }),
      { numRuns: 200 },
    );
  });
});

/** Methods a device is asked when read, switched and metered, and what a rogue one may answer instead. */
const ASKED = ['component_nego', 'get_device_info', 'get_child_device_list', 'multipleRequest', 'get_energy_usage', 'get_current_power', 'set_device_info', 'control_child'];
const rogueAnswer = fc.oneof(
  fc.string(),
  fc.json(),
  anything.map((v) => JSON.stringify(v) ?? 'undefined'),
  anything.map((result) => JSON.stringify({ error_code: 0, result }) ?? ''),
  fc.record({ error_code: fc.oneof(fc.integer(), fc.string(), anything), result: fc.oneof(anything, objects) }).map((v) => JSON.stringify(v) ?? ''),
);

void describe('fuzzing a SMART device over KLAP', () => {
  const rogues = { p110m: new RogueSmartDevice('p110m'), p300: new RogueSmartDevice('p300') };
  const escaped: unknown[] = [];
  const onEscape = (err: unknown): void => {
    escaped.push(err);
  };
  before(async () => {
    process.on('unhandledRejection', onEscape);
    for (const rogue of Object.values(rogues)) await rogue.start();
  });
  after(async () => {
    process.off('unhandledRejection', onEscape);
    for (const rogue of Object.values(rogues)) await rogue.stop();
  });

  void it('reading, switching and metering end in a value or a KasaError (never INTERNAL) whatever it answers', { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('p110m', 'p300') as fc.Arbitrary<keyof typeof rogues>, fc.dictionary(fc.constantFrom(...ASKED), rogueAnswer, { minKeys: 1, maxKeys: 3 }), async (model, answers) => {
        const rogue = rogues[model];
        rogue.answer = (request) => (typeof request['method'] === 'string' ? answers[request['method']] : undefined);
        const settle = async (run: () => Promise<unknown>): Promise<void> => {
          try {
            await run();
          } catch (err) {
            if (!(err instanceof KasaError) || err.code === ErrorCode.INTERNAL) throw err;
          }
        };
        let device: Device | undefined;
        try {
          // Finding the family is the first exchange: the rogue may fail it too.
          await settle(async () => (device = await connectDevice({ transport: 'klap', host: '127.0.0.1', port: 9999, klapPort: rogue.port, timeoutMs: 1000 })));
          const found = device;
          if (found !== undefined) {
            await settle(() => found.getSysinfo());
            await settle(() => found.setPower(true));
            await settle(() => found.realtime());
            await settle(() => found.poll({ meters: [(info) => info.outlets?.slice(0, 1).map(() => found) ?? [found]] }));
          }
        } finally {
          rogue.answer = () => undefined;
          await device?.close();
        }
        assert.deepEqual(escaped.splice(0), [], 'nothing escaped');
      }),
      { numRuns: 150 },
    );
  });
});
