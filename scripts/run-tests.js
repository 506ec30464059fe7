#!/usr/bin/env node
// Runs compiled test files under dist/test with Node's own test runner, tier by tier:
//   unit         one file per module of src/, no sockets (dist/test/unit)
//   integration  real sockets on 127.0.0.1, simulators, Node-RED in-process (dist/test/integration)
//   system       the soak, the editor and dashboard in Chromium, tshark, the packed package (dist/test/system)
// Usage: node scripts/run-tests.js [tier | name-filter ...]
//   e.g. `node scripts/run-tests.js unit`, `node scripts/run-tests.js xor frame`; nothing: every test.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// TEST_BUILD names another build folder: `npm run test:unit` compiles only the unit tier into its own.
const root = path.join(__dirname, '..', process.env.TEST_BUILD || 'dist', 'test');
const TIERS = ['unit', 'integration', 'system'];
const args = process.argv.slice(2);
const tiers = args.filter((arg) => TIERS.includes(arg));
const filters = args.filter((arg) => !TIERS.includes(arg));

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return walk(full);
    return entry.name.endsWith('.test.js') ? [full] : [];
  });
}

if (!fs.existsSync(root)) {
  console.error('No compiled tests: run `npm run build` first.');
  process.exit(2);
}
const tierOf = (file) => path.relative(root, file).split(path.sep)[0];
const files = walk(root)
  .filter((f) => tiers.length === 0 || tiers.includes(tierOf(f)))
  .filter((f) => filters.length === 0 || filters.some((name) => path.basename(f).includes(name)))
  .sort((a, b) => TIERS.indexOf(tierOf(a)) - TIERS.indexOf(tierOf(b)) || a.localeCompare(b));
if (files.length === 0) {
  console.error(`No test file matches ${args.join(', ')}`);
  process.exit(2);
}
// Every test is bounded: a hung test fails after 60 s instead of stalling CI.
const result = spawnSync(
  process.execPath,
  ['--test', '--test-timeout=60000', '--test-concurrency=1', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
