#!/usr/bin/env node
// Node-RED loads X.html, locales/ and icons/ from beside each node's X.js, so the build copies the
// editor files next to the compiled nodes in dist/nodes.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const target = path.join(root, 'dist', 'nodes');
fs.mkdirSync(target, { recursive: true });

for (const name of fs.readdirSync(path.join(root, 'nodes'))) {
  if (name.endsWith('.html')) fs.copyFileSync(path.join(root, 'nodes', name), path.join(target, name));
}
for (const [from, to] of [
  [path.join(root, 'nodes', 'locales'), path.join(target, 'locales')],
  [path.join(root, 'icons'), path.join(target, 'icons')],
]) {
  if (fs.existsSync(from)) fs.cpSync(from, to, { recursive: true });
}

// The command-line tools are run directly from a clone too (`./dist/bin/tplink-sim.js`).
const bin = path.join(root, 'dist', 'bin');
if (fs.existsSync(bin)) {
  for (const name of fs.readdirSync(bin)) if (name.endsWith('.js')) fs.chmodSync(path.join(bin, name), 0o755);
}
