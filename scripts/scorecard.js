#!/usr/bin/env node
// An offline check of the Node-RED Flow Library scorecard (`node-red-dev validate` needs the Flow
// Library site). Usage: node scripts/scorecard.js [package dir] [--node-red-latest <version>]
// Prints one PASS/FAIL line per check; exits 1 when any check fails, 2 on a usage error.
const fs = require('node:fs');
const path = require('node:path');
const semver = require('semver');

/**
 * The newest Node-RED 5.x on npm when this was written (`npm view node-red version`). Offline there
 * is no way to know a newer one: pass --node-red-latest to check against another version.
 */
const KNOWN_NODE_RED_LATEST = '5.0.7';
/** Node-RED 5 needs Node.js 22.9 or later, so a package for it must accept that. */
const NODE_VERSION_TO_ADMIT = '22.9.0';
const MAX_RUNTIME_DEPENDENCIES = 6;

/** Packages a node package must not depend on at run time, with the reason. */
const DENIED_PACKAGES = {
  'node-red': 'the runtime itself; it provides the API, never a dependency of a node',
  'node-red-node-test-helper': 'a test tool, belongs in devDependencies',
  request: 'deprecated and unmaintained since 2020',
  'request-promise': 'deprecated with request',
  'request-promise-native': 'deprecated with request',
  'event-stream': 'a release shipped malicious code (flatmap-stream)',
  'flatmap-stream': 'malicious package',
  colors: 'its maintainer published a sabotaged release',
  faker: 'its maintainer published a sabotaged release',
  'node-ipc': 'a release shipped destructive code (protestware)',
};

function parseArgs(argv) {
  const options = { dir: path.join(__dirname, '..'), nodeRedLatest: KNOWN_NODE_RED_LATEST, latestGiven: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--node-red-latest' || arg.startsWith('--node-red-latest=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!semver.valid(value)) throw new Error(`--node-red-latest needs a version such as 5.0.7, not ${JSON.stringify(value)}`);
      options.nodeRedLatest = value;
      options.latestGiven = true;
    } else if (arg.startsWith('-')) {
      throw new Error(`unknown option ${arg}`);
    } else {
      options.dir = path.resolve(arg);
    }
  }
  return options;
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** The node types a JS or HTML file registers: registerType('name', ...). */
function registeredTypes(text) {
  return [...text.matchAll(/registerType\(\s*(['"`])([^'"`]+)\1/g)].map((m) => ({ type: m[2], index: m.index }));
}

/** Types the editor definition marks as config nodes (category 'config' before the next registerType). */
function configTypes(html) {
  const found = registeredTypes(html);
  return found
    .filter((entry, i) => {
      const end = i + 1 < found.length ? found[i + 1].index : html.length;
      return /category\s*:\s*['"]config['"]/.test(html.slice(entry.index, end));
    })
    .map((entry) => entry.type);
}

/** Node types of Node-RED's own nodes, when they are installed beside the package. */
function coreTypes(dir) {
  let coreDir;
  try {
    coreDir = path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [dir, __dirname] }));
  } catch {
    return null;
  }
  const types = new Set();
  const walk = (folder) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.js')) for (const { type } of registeredTypes(fs.readFileSync(full, 'utf8'))) types.add(type);
    }
  };
  walk(path.join(coreDir, 'core'));
  return types;
}

function pass(id, title, detail) {
  return { id, ok: true, line: `PASS ${id} ${title}: ${detail}` };
}

function fail(id, title, reason) {
  return { id, ok: false, line: `FAIL ${id} ${title}: ${reason}` };
}

function checkLicence(dir) {
  const title = 'licence file';
  const file = fs.readdirSync(dir).find((name) => /^licen[cs]e(\.(md|txt))?$/i.test(name));
  return file ? pass('P01', title, file) : fail('P01', title, 'no LICENSE file in the package');
}

function checkRepository(pkg) {
  const title = 'repository or bugs URL';
  const repository = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository && pkg.repository.url;
  const bugs = typeof pkg.bugs === 'string' ? pkg.bugs : pkg.bugs && pkg.bugs.url;
  if (repository) return pass('P03', title, repository);
  if (bugs) return pass('P03', title, bugs);
  return fail('P03', title, 'package.json has neither "repository" nor "bugs"');
}

function checkScopedName(pkg) {
  const title = 'scoped package name';
  const name = String(pkg.name || '');
  if (!/^@[a-z0-9][a-z0-9._~-]*\/[a-z0-9][a-z0-9._~-]*$/.test(name)) {
    return fail('P04', title, `${JSON.stringify(name)} is not scoped: new packages are named @scope/node-red-...`);
  }
  if (!name.split('/')[1].startsWith('node-red-')) {
    return fail('P04', title, `${JSON.stringify(name)}: the part after the scope should start with node-red-`);
  }
  return pass('P04', title, name);
}

function checkKeyword(pkg) {
  const title = '"node-red" keyword';
  return Array.isArray(pkg.keywords) && pkg.keywords.includes('node-red')
    ? pass('P05', title, 'present')
    : fail('P05', title, 'package.json keywords lack "node-red" (the Flow Library lists only packages with it)');
}

function checkNodeRedVersion(pkg, latest, latestGiven) {
  const title = 'node-red.version admits the latest Node-RED';
  const range = pkg['node-red'] && pkg['node-red'].version;
  const source = latestGiven ? 'as given' : 'the newest 5.x known offline';
  if (typeof range !== 'string' || semver.validRange(range) === null) {
    return fail('P06', title, `"node-red": {"version": ...} is ${range === undefined ? 'missing' : `not a range: ${JSON.stringify(range)}`}`);
  }
  return semver.satisfies(latest, range)
    ? pass('P06', title, `${range} admits ${latest} (${source})`)
    : fail('P06', title, `${range} does not admit ${latest} (${source})`);
}

function checkEngines(pkg) {
  const title = `engines.node admits ${NODE_VERSION_TO_ADMIT}`;
  const range = pkg.engines && pkg.engines.node;
  if (typeof range !== 'string' || semver.validRange(range) === null) {
    return fail('P07', title, `"engines": {"node": ...} is ${range === undefined ? 'missing' : `not a range: ${JSON.stringify(range)}`}`);
  }
  return semver.satisfies(NODE_VERSION_TO_ADMIT, range)
    ? pass('P07', title, range)
    : fail('P07', title, `${range} refuses Node.js ${NODE_VERSION_TO_ADMIT}, which Node-RED 5 needs`);
}

/** Reads every node file of package.json node-red.nodes; problems are reported by N01. */
function readNodeFiles(dir, pkg) {
  const nodes = (pkg['node-red'] && pkg['node-red'].nodes) || {};
  return Object.entries(nodes).map(([key, file]) => {
    const js = path.join(dir, file);
    const html = js.replace(/\.js$/, '.html');
    return {
      key,
      file,
      js: fs.existsSync(js) ? fs.readFileSync(js, 'utf8') : null,
      html: fs.existsSync(html) ? fs.readFileSync(html, 'utf8') : null,
    };
  });
}

function checkUniqueTypes(dir, files) {
  const title = 'node type names unique';
  if (files.length === 0) return { result: fail('N01', title, 'package.json declares no "node-red": {"nodes": ...}'), types: [], configs: [] };
  const problems = [];
  const owner = new Map();
  const configs = [];
  for (const { key, file, js, html } of files) {
    if (js === null) {
      problems.push(`${file} (node ${key}) does not exist; build the package first`);
      continue;
    }
    const types = registeredTypes(js).map((t) => t.type);
    if (types.length === 0) problems.push(`${file} registers no node type`);
    for (const type of types) {
      if (owner.has(type)) problems.push(`${type} is registered by both ${owner.get(type)} and ${file}`);
      else owner.set(type, file);
    }
    if (html === null) {
      problems.push(`${file.replace(/\.js$/, '.html')} is missing: the editor would not know the node`);
    } else {
      const editorTypes = registeredTypes(html).map((t) => t.type);
      for (const type of types) if (!editorTypes.includes(type)) problems.push(`${type} has no editor definition in the HTML beside ${file}`);
      configs.push(...configTypes(html));
    }
  }
  const core = coreTypes(dir);
  for (const type of owner.keys()) if (core !== null && core.has(type)) problems.push(`${type} is already a Node-RED core node type`);
  const types = [...owner.keys()];
  const result = problems.length === 0 ? pass('N01', title, types.join(', ')) : fail('N01', title, problems.join('; '));
  return { result, types, configs };
}

function checkExamples(dir, types, configs) {
  const title = 'every non-config node used in an example';
  const folder = path.join(dir, 'examples');
  if (!fs.existsSync(folder)) return fail('N02', title, 'no examples/ folder');
  const used = new Set();
  const problems = [];
  for (const name of fs.readdirSync(folder).filter((n) => n.endsWith('.json')).sort()) {
    let flow;
    try {
      flow = readJson(path.join(folder, name));
    } catch (err) {
      problems.push(`examples/${name} is not JSON (${err.message})`);
      continue;
    }
    if (!Array.isArray(flow) || flow.some((n) => n === null || typeof n !== 'object' || typeof n.type !== 'string')) {
      problems.push(`examples/${name} is not a flow (an array of nodes with a type)`);
      continue;
    }
    for (const node of flow) used.add(node.type);
  }
  const needed = types.filter((type) => !configs.includes(type));
  const missing = needed.filter((type) => !used.has(type));
  if (missing.length > 0) problems.push(`not in any example: ${missing.join(', ')}`);
  return problems.length === 0 ? pass('N02', title, needed.join(', ')) : fail('N02', title, problems.join('; '));
}

function checkDependencyCount(pkg) {
  const title = `at most ${MAX_RUNTIME_DEPENDENCIES} runtime dependencies`;
  const names = Object.keys(pkg.dependencies || {});
  return names.length <= MAX_RUNTIME_DEPENDENCIES
    ? pass('D01', title, names.length === 0 ? 'none' : `${names.length} (${names.join(', ')})`)
    : fail('D01', title, `${names.length}: ${names.join(', ')}`);
}

function checkDeniedPackages(pkg) {
  const title = 'no known-bad packages';
  const bad = Object.keys(pkg.dependencies || {}).filter((name) => Object.prototype.hasOwnProperty.call(DENIED_PACKAGES, name));
  return bad.length === 0
    ? pass('D02', title, `none of ${Object.keys(DENIED_PACKAGES).length} listed`)
    : fail('D02', title, bad.map((name) => `${name} (${DENIED_PACKAGES[name]})`).join('; '));
}

function checkDependencyRanges(dir, pkg) {
  const title = 'dependency ranges admit the latest versions';
  const entries = Object.entries(pkg.dependencies || {});
  if (entries.length === 0) return pass('D03', title, 'no runtime dependencies');
  const problems = [];
  const checked = [];
  for (const [name, range] of entries) {
    const manifest = path.join(dir, 'node_modules', ...name.split('/'), 'package.json');
    if (!fs.existsSync(manifest)) {
      problems.push(`${name} is not installed in node_modules, so its version cannot be checked offline`);
      continue;
    }
    const version = readJson(manifest).version;
    if (semver.validRange(range) === null) problems.push(`${name}: ${JSON.stringify(range)} is not a version range`);
    else if (!semver.satisfies(version, range)) problems.push(`${name}: ${range} does not admit ${version}`);
    else checked.push(`${name} ${range} admits ${version}`);
  }
  // Offline, the installed version stands in for the latest one on npm.
  const note = 'installed versions as a proxy for the latest';
  return problems.length === 0 ? pass('D03', title, `${checked.join(', ')} (${note})`) : fail('D03', title, `${problems.join('; ')} (${note})`);
}

function runScorecard(options) {
  const manifest = path.join(options.dir, 'package.json');
  if (!fs.existsSync(manifest)) throw new Error(`no package.json in ${options.dir}`);
  const pkg = readJson(manifest);
  const files = readNodeFiles(options.dir, pkg);
  const n01 = checkUniqueTypes(options.dir, files);
  return [
    checkLicence(options.dir),
    checkRepository(pkg),
    checkScopedName(pkg),
    checkKeyword(pkg),
    checkNodeRedVersion(pkg, options.nodeRedLatest, options.latestGiven),
    checkEngines(pkg),
    n01.result,
    checkExamples(options.dir, n01.types, n01.configs),
    checkDependencyCount(pkg),
    checkDeniedPackages(pkg),
    checkDependencyRanges(options.dir, pkg),
  ];
}

if (require.main === module) {
  let results;
  try {
    results = runScorecard(parseArgs(process.argv.slice(2)));
  } catch (err) {
    console.error(`scorecard: ${err.message}`);
    process.exit(2);
  }
  for (const result of results) console.log(result.line);
  const failed = results.filter((r) => !r.ok).length;
  console.log(failed === 0 ? `All ${results.length} checks pass.` : `${failed} of ${results.length} checks fail.`);
  process.exitCode = failed === 0 ? 0 : 1;
}

module.exports = { runScorecard, KNOWN_NODE_RED_LATEST };
