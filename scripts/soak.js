#!/usr/bin/env node
// Runs the fault soak (test/system/soak.test.ts) for longer than CI does.
// Usage: node scripts/soak.js [seconds] [--seed <n>] [--rate <messages per second>]
//   e.g. `node scripts/soak.js 600` or `node scripts/soak.js 60 --seed 1234` to replay a failure.
// scripts/run-tests.js gives every test file 60 s in all, so a long soak runs the file on its own;
// the test sets its own time limit from SOAK_SECONDS. Needs a build first (`npm run build`).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const USAGE = 'usage: node scripts/soak.js [seconds] [--seed <n>] [--rate <messages per second>]';
const file = path.join(__dirname, '..', 'dist', 'test', 'system', 'soak.test.js');

function parse(argv) {
  const env = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (name) => {
      const next = argv[++i];
      if (next === undefined || !/^\d+$/.test(next)) fail(`${name} needs a whole number`);
      return next;
    };
    if (arg === '--seed') env.SOAK_SEED = value('--seed');
    else if (arg === '--rate') env.SOAK_RATE = value('--rate');
    else if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (/^\d+$/.test(arg) && env.SOAK_SECONDS === undefined) env.SOAK_SECONDS = arg;
    else fail(`unexpected argument "${arg}"`);
  }
  return env;
}

function fail(reason) {
  console.error(`soak: ${reason}\n${USAGE}`);
  process.exit(2);
}

const env = parse(process.argv.slice(2));
if (!fs.existsSync(file)) fail('no compiled soak test: run `npm run build` first');
const result = spawnSync(process.execPath, ['--test', file], { stdio: 'inherit', env: { ...process.env, ...env } });
process.exit(result.status ?? 1);
