#!/usr/bin/env node
// Fails when the TypeScript sources import each other in a circle. A cycle means a type or a
// helper lives in the wrong file (the core reaching into a family, a module into its user), so the
// layering the folders promise no longer holds. Type-only imports count too: they show the same
// tangle, even where the compiled code would load.
// Usage: node scripts/import-cycles.js [folder ...]   (default: src nodes bin bench)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.join(__dirname, '..');
const folders = process.argv.length > 2 ? process.argv.slice(2) : ['src', 'nodes', 'bin', 'bench'];

function sourcesIn(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourcesIn(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The file a relative specifier names: x.ts, or x/index.ts. */
function resolve(from, specifier) {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(candidate)) return candidate;
  return null;
}

const files = folders.flatMap((folder) => sourcesIn(path.resolve(root, folder)));
const edges = new Map(
  files.map((file) => {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles.filter((i) => i.fileName.startsWith('.')).map((i) => resolve(file, i.fileName));
    return [file, [...new Set(targets.filter((t) => t !== null))]];
  }),
);

// Tarjan's strongly connected components: every component of more than one file is a cycle.
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
function visit(file) {
  index.set(file, counter);
  low.set(file, counter);
  counter += 1;
  stack.push(file);
  onStack.add(file);
  for (const next of edges.get(file) ?? []) {
    if (!index.has(next)) {
      visit(next);
      low.set(file, Math.min(low.get(file), low.get(next)));
    } else if (onStack.has(next)) {
      low.set(file, Math.min(low.get(file), index.get(next)));
    }
  }
  if (low.get(file) === index.get(file)) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    const selfImport = (edges.get(file) ?? []).includes(file);
    if (component.length > 1 || selfImport) cycles.push(component);
  }
}
for (const file of files) if (!index.has(file)) visit(file);

/** One circular path through a component, to show how its files import each other. */
function pathThrough(component) {
  const members = new Set(component);
  const start = component[component.length - 1];
  const seen = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const next of edges.get(file) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const route = [file];
        for (let at = seen.get(file); at !== null; at = seen.get(at)) route.unshift(at);
        return [...route, start];
      }
      if (!seen.has(next)) {
        seen.set(next, file);
        queue.push(next);
      }
    }
  }
  return component;
}

if (cycles.length > 0) {
  for (const component of cycles) {
    console.error(`Import cycle (${component.length} files): ${pathThrough(component).map((f) => path.relative(root, f)).join(' -> ')}`);
  }
  console.error(`${cycles.length} import cycle(s): move the shared type or helper to a file both sides can import.`);
  process.exit(1);
}
console.log(`No import cycles among ${files.length} files (${folders.join(', ')}).`);
