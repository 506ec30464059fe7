// tplink-smartplug's light options (--brightness, --color, --color-temp, --effect, --transition)
// against a simulated Kasa KL430 strip (port 9999's protocol) and a Tapo L530 bulb (SMART over KLAP).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SimulatedDevice } from '../../src/simulator';
import { SmartSimulatedDevice } from '../../src/simulator/smart/server';
import { within } from '../support/wait';

const BIN = path.join(__dirname, '..', '..', 'bin', 'tplink-smartplug.js');
const run = (args: string[]) =>
  within(
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, ...args], (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    }),
    15_000,
    `tplink-smartplug ${args.join(' ')}`,
  );

describe('tplink-smartplug sets lights', () => {
  const strip = new SimulatedDevice({ model: 'kl430', udp: false });
  const bulb = new SmartSimulatedDevice({ host: '127.0.0.1', model: 'l530' });
  const kasa = () => ['-t', '127.0.0.1', '-p', String(strip.port)];
  const tapo = () => ['-t', '127.0.0.1', '--transport', 'klap', '-p', String(bulb.port)];
  before(async () => {
    await strip.start();
    await bulb.start();
  });
  after(async () => {
    await strip.stop();
    await bulb.stop();
  });

  it('a colour, a brightness and a fade in one request to a Kasa strip; the state read back as Result', { timeout: 20_000 }, async () => {
    const { code, stdout, stderr } = await run([...kasa(), '--color', 'orange', '--brightness', '40', '--transition', '500']);
    assert.equal(code, 0, stderr);
    const sent = stdout.split('\n').filter((line) => line.startsWith('Sent:'));
    assert.equal(sent.length, 1, stdout);
    assert.match(sent[0]!, /"set_light_state":\{"on_off":1,"brightness":40,"hue":39,"saturation":100,"color_temp":0,"transition_period":500\}/);
    const result = JSON.parse(/^Result: +(.*)$/m.exec(stdout)![1]!) as Record<string, unknown>;
    assert.deepEqual([result['mode'], result['hex'], result['brightness']], ['color', '#ffa600', 40]);
    assert.equal(strip.state.getLight().hue, 39);
  });

  it('an effect on the strip, and "30,100" as hue,saturation', { timeout: 20_000 }, async () => {
    const effect = await run([...kasa(), '--effect', 'Ocean', '-q']);
    assert.equal(effect.code, 0, effect.stderr);
    assert.equal((JSON.parse(effect.stdout) as { effect: string }).effect, 'Ocean');
    const colour = await run([...kasa(), '--color', '30,100', '--effect', 'off', '-q']);
    assert.equal(colour.code, 0, colour.stderr);
    assert.deepEqual(JSON.parse(colour.stdout), { on: true, brightness: 40, mode: 'color', hue: 30, saturation: 100, colorTemp: null, hex: '#ff8000', effect: null });
  });

  it('a white and an effect on a Tapo bulb over KLAP', { timeout: 20_000 }, async () => {
    const white = await run([...tapo(), '--color-temp', '4000', '-q']);
    assert.equal(white.code, 0, white.stderr);
    const state = JSON.parse(white.stdout) as { mode: string; colorTemp: number };
    assert.deepEqual([state.mode, state.colorTemp], ['white', 4000]);
    assert.equal(bulb.device.light!.colorTemp, 4000);
    const effect = await run([...tapo(), '--effect', 'Relax', '-q']);
    assert.equal(effect.code, 0, effect.stderr);
    assert.equal((JSON.parse(effect.stdout) as { effect: string }).effect, 'Relax');
  });

  it('refuses a white out of range (exit 1, the range named), bad values and mixed commands (exit 2)', { timeout: 20_000 }, async () => {
    const range = await run([...tapo(), '--color-temp', '9000']);
    assert.equal(range.code, 1);
    assert.match(range.stderr, /from 2500 to 6500 K.*\[BAD_INPUT\]/);
    assert.equal(bulb.device.light!.colorTemp, 4000, 'nothing was sent');
    for (const args of [
      ['--color', 'blurple'],
      ['--brightness', '0'],
      ['--brightness', '40', '-c', 'info'],
      ['--transition', '100'],
    ]) {
      const { code, stderr } = await run([...kasa(), ...args]);
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr, /tplink-smartplug: /);
    }
  });
});
