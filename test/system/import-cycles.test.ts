import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

// Compiled to dist/test/<tier>: the package root is three folders up.
const ROOT = path.join(__dirname, '..', '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'import-cycles.js');

function run(...folders: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [SCRIPT, ...folders], { encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('scripts/import-cycles.js (part of npm run lint)', () => {
  const temporary: string[] = [];
  after(() => temporary.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  /** A folder of TypeScript files by relative path. */
  const tree = (files: Record<string, string>): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kasa-cycles-'));
    temporary.push(dir);
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
  };

  void it('passes on the project itself', () => {
    const { status, stdout, stderr } = run();
    assert.equal(status, 0, stderr);
    assert.match(stdout, /No import cycles/);
  });

  void it('fails on a cycle closed by a type-only import, naming the files in order', () => {
    const dir = tree({
      'core/device.ts': "import type { Client } from '../family/client';\nexport class Device { constructor(readonly client: Client) {} }\n",
      'family/client.ts': "import { Device } from '../core/device';\nexport class Client { device?: Device; }\n",
      'family/index.ts': "export * from './client';\n",
    });
    const { status, stderr } = run(dir);
    assert.equal(status, 1);
    assert.match(stderr, /Import cycle \(2 files\): .*core\/device\.ts -> .*family\/client\.ts -> .*core\/device\.ts|Import cycle \(2 files\): .*family\/client\.ts -> .*core\/device\.ts -> .*family\/client\.ts/);
  });

  void it('follows a folder import to its index.ts', () => {
    const dir = tree({
      'a.ts': "import { b } from './lib';\nexport const a = () => b;\n",
      'lib/index.ts': "export { b } from './b';\n",
      'lib/b.ts': "import { a } from '../a';\nexport const b = () => a;\n",
    });
    const { status, stderr } = run(dir);
    assert.equal(status, 1);
    assert.match(stderr, /Import cycle \(3 files\)/);
  });

  void it('passes a tree whose imports only go one way', () => {
    const dir = tree({ 'a.ts': "import { b } from './b';\nexport const a = b;\n", 'b.ts': 'export const b = 1;\n' });
    assert.equal(run(dir).status, 0);
  });
});
