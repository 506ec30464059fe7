import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Status texts come from the locale files, as core nodes' do. They live in one catalogue, the
 * device node's (locales/<lang>/tplink-device.json `status`), which every node of the package
 * names explicitly: Node-RED looks a key up in the calling node's own catalogue unless it says
 * `<catalogue>:<key>`.
 */
const CATALOGUE = '@kasa-flows/node-red-tplink-kasa/tplink-device';

type Translate = (key: string, substitutions?: Record<string, string | number>) => string;

let runtime: Translate | undefined;

/** Hands the runtime's translator to the status texts; every node calls it when it registers. */
export function useRuntimeI18n(RED: { _: Translate }): void {
  runtime ??= (key, substitutions) => RED._(`${CATALOGUE}:${key}`, substitutions);
}

/**
 * The text for `key` (under `tplink-device.status.`) in the editor's language; where the runtime
 * has no catalogue for it (node-red-node-test-helper answers every key with itself), the English one.
 */
export function statusText(key: string, substitutions: Record<string, string | number> = {}): string {
  const full = `tplink-device.status.${key}`;
  const translated = runtime?.(full, substitutions);
  if (translated !== undefined && translated !== full && !translated.endsWith(full)) return translated;
  return substitute(english()[key] ?? key, substitutions);
}

let englishTexts: Record<string, string> | undefined;

/** The English status texts, read once from the package's own locale file. */
function english(): Record<string, string> {
  if (englishTexts === undefined) {
    const file = path.join(__dirname, '..', 'locales', 'en-US', 'tplink-device.json');
    const catalogue = JSON.parse(fs.readFileSync(file, 'utf8')) as { 'tplink-device': { status: Record<string, unknown> } };
    englishTexts = flatten(catalogue['tplink-device'].status);
  }
  return englishTexts;
}

/** {"reason": {"TIMEOUT": "no answer"}} as {"reason.TIMEOUT": "no answer"}. */
function flatten(tree: Record<string, unknown>, prefix = ''): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(tree)) {
    if (typeof value === 'string') flat[`${prefix}${name}`] = value;
    else if (typeof value === 'object' && value !== null) Object.assign(flat, flatten(value as Record<string, unknown>, `${prefix}${name}.`));
  }
  return flat;
}

/** Node-RED's (i18next's) `__name__` substitution. */
function substitute(text: string, substitutions: Record<string, string | number>): string {
  return text.replace(/__(\w+)__/g, (whole, name: string) => (name in substitutions ? String(substitutions[name]) : whole));
}
