import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

// Compiled to dist/test/<tier>: the package root is three folders up.
const ROOT = path.join(__dirname, '..', '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'scorecard.js');

function runScorecard(...args: string[]): { status: number | null; lines: string[]; stderr: string } {
  const result = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, lines: result.stdout.split('\n').filter((l) => l !== ''), stderr: result.stderr };
}

function lineOf(lines: string[], id: string): string {
  const line = lines.find((l) => l.split(' ')[1] === id);
  assert.ok(line !== undefined, `a line for ${id} in:\n${lines.join('\n')}`);
  return line;
}

const CHECK_IDS = ['P01', 'P03', 'P04', 'P05', 'P06', 'P07', 'N01', 'N02', 'D01', 'D02', 'D03'];

/** Writes a package into a temporary folder: files by relative path, JSON for objects. */
function makePackage(files: Record<string, string | object>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kasa-scorecard-'));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const registerJs = (...types: string[]) => `module.exports = function (RED) {\n${types.map((t) => `  RED.nodes.registerType('${t}', function () {});`).join('\n')}\n};\n`;
const registerHtml = (type: string, category: string) => `<script type="text/javascript">\n  RED.nodes.registerType('${type}', {\n    category: '${category}',\n    defaults: {}\n  });\n</script>\n`;

describe('scripts/scorecard.js', () => {
  const temporary: string[] = [];
  after(() => {
    for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('passes every check on this package', () => {
    const { status, lines, stderr } = runScorecard();
    assert.equal(stderr, '');
    for (const id of CHECK_IDS) assert.match(lineOf(lines, id), /^PASS /, lineOf(lines, id));
    assert.equal(lines.filter((l) => l.startsWith('FAIL')).length, 0, lines.join('\n'));
    assert.match(lineOf(lines, 'N01'), /tplink-device, plug-control, light-control, strip-outlet, plug-energy, tddp-query, hub-sensor/);
    // The config node needs no example; every other node does.
    assert.match(lineOf(lines, 'N02'), /: plug-control, light-control, strip-outlet, plug-energy, tddp-query, hub-sensor$/);
    assert.equal(status, 0);
  });

  it('fails every check on a broken package, with the reason', () => {
    const dir = makePackage({
      'package.json': {
        name: 'node-red-contrib-broken',
        keywords: ['tplink'],
        engines: { node: '>=18 <22' },
        'node-red': { version: '>=2.0.0 <5', nodes: { one: 'one.js', two: 'two.js', gone: 'gone.js' } },
        dependencies: { a: '1', b: '1', c: '1', d: '1', e: '1', request: '^2.88.0', stale: '^1.0.0' },
      },
      'one.js': registerJs('kasa-dup', 'inject'),
      'one.html': registerHtml('kasa-dup', 'function'),
      'two.js': registerJs('kasa-dup', 'kasa-lonely'),
      'node_modules/stale/package.json': { name: 'stale', version: '2.1.0' },
      'examples/flow.json': [{ id: 't', type: 'tab' }, { id: 'n', z: 't', type: 'kasa-dup', wires: [] }],
      'examples/broken.json': '{ not json',
    });
    temporary.push(dir);
    const { status, lines } = runScorecard(dir);
    for (const id of CHECK_IDS) assert.match(lineOf(lines, id), /^FAIL /, lineOf(lines, id));
    assert.match(lineOf(lines, 'P01'), /no LICENSE file/);
    assert.match(lineOf(lines, 'P03'), /neither "repository" nor "bugs"/);
    assert.match(lineOf(lines, 'P04'), /"node-red-contrib-broken" is not scoped/);
    assert.match(lineOf(lines, 'P05'), /lack "node-red"/);
    assert.match(lineOf(lines, 'P06'), />=2\.0\.0 <5 does not admit 5\.0\.7/);
    assert.match(lineOf(lines, 'P07'), />=18 <22 refuses Node\.js 22\.9\.0/);
    const n01 = lineOf(lines, 'N01');
    assert.match(n01, /kasa-dup is registered by both one\.js and two\.js/);
    assert.match(n01, /gone\.js \(node gone\) does not exist/);
    assert.match(n01, /two\.html is missing/);
    assert.match(n01, /inject is already a Node-RED core node type/);
    const n02 = lineOf(lines, 'N02');
    assert.match(n02, /examples\/broken\.json is not JSON/);
    assert.match(n02, /not in any example: inject, kasa-lonely$/);
    assert.match(lineOf(lines, 'D01'), /^FAIL D01 .*: 7: a, b, c, d, e, request, stale$/);
    assert.match(lineOf(lines, 'D02'), /request \(deprecated/);
    const d03 = lineOf(lines, 'D03');
    assert.match(d03, /stale: \^1\.0\.0 does not admit 2\.1\.0/);
    assert.match(d03, /a is not installed in node_modules/);
    assert.match(lines.at(-1)!, /^11 of 11 checks fail\.$/);
    assert.equal(status, 1);
  });

  it('passes a small correct package, config nodes needing no example', () => {
    const dir = makePackage({
      'package.json': {
        name: '@someone/node-red-tiny',
        keywords: ['node-red'],
        bugs: 'https://example.org/issues',
        engines: { node: '>=20' },
        'node-red': { version: '>=4.0.0', nodes: { tiny: 'tiny.js', cfg: 'cfg.js' } },
        dependencies: { fresh: '^3.0.0' },
      },
      LICENSE: 'MIT',
      'tiny.js': registerJs('tiny-node'),
      'tiny.html': registerHtml('tiny-node', 'function'),
      'cfg.js': registerJs('tiny-config'),
      'cfg.html': registerHtml('tiny-config', 'config'),
      'node_modules/fresh/package.json': { name: 'fresh', version: '3.4.1' },
      'examples/tiny.json': [{ id: 't', type: 'tab' }, { id: 'n', z: 't', type: 'tiny-node', wires: [] }],
    });
    temporary.push(dir);
    const { status, lines } = runScorecard(dir, '--node-red-latest', '5.3.0');
    assert.equal(lines.filter((l) => l.startsWith('FAIL')).length, 0, lines.join('\n'));
    assert.match(lineOf(lines, 'P03'), /https:\/\/example\.org\/issues/);
    assert.match(lineOf(lines, 'P06'), />=4\.0\.0 admits 5\.3\.0 \(as given\)/);
    assert.match(lineOf(lines, 'N02'), /: tiny-node$/);
    assert.match(lineOf(lines, 'D03'), /fresh \^3\.0\.0 admits 3\.4\.1/);
    assert.equal(status, 0);
  });

  it('exits 2 with a reason on a folder without package.json or a bad option', () => {
    const dir = makePackage({ 'README.md': 'nothing here' });
    temporary.push(dir);
    const missing = runScorecard(dir);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no package\.json in /);
    const badOption = runScorecard('--node-red-latest', 'five');
    assert.equal(badOption.status, 2);
    assert.match(badOption.stderr, /--node-red-latest needs a version/);
  });
});

