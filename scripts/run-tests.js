#!/usr/bin/env node
// Runs every compiled test file under dist/test with Node's own test runner.
// Usage: node scripts/run-tests.js [name-filter ...]   e.g. `node scripts/run-tests.js xor frame`
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', 'dist', 'test');
const filters = process.argv.slice(2);

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
const files = walk(root)
  .filter((f) => filters.length === 0 || filters.some((name) => path.basename(f).includes(name)))
  .sort();
if (files.length === 0) {
  console.error(`No test file matches ${filters.join(', ')}`);
  process.exit(2);
}
// Every test is bounded: a hung test fails after 60 s instead of stalling CI.
const result = spawnSync(
  process.execPath,
  ['--test', '--test-timeout=60000', '--test-concurrency=1', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
