/**
 * Nesting bounds for JSON that crosses the package's borders. A few thousand levels of nesting
 * parse fine but later overflow the stack in code that recurses (Node-RED's message cloning,
 * JSON.stringify), far from any handler; no real request or reply is nested more than a few levels.
 */
export const MAX_JSON_DEPTH = 32;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** At least `count` opening brackets ({ or [) in `text`? Native searches, no per-character loop. */
function hasOpeningBrackets(text: string, count: number): boolean {
  let found = 0;
  for (let at = text.indexOf('{'); at !== -1; at = text.indexOf('{', at + 1)) if (++found >= count) return true;
  for (let at = text.indexOf('['); at !== -1; at = text.indexOf('[', at + 1)) if (++found >= count) return true;
  return false;
}

/** True when JSON text nests objects and arrays deeper than `max`; one pass, no parsing. */
export function textNestsDeeperThan(text: string, max: number = MAX_JSON_DEPTH): boolean {
  // Nesting deeper than `max` takes more than `max` opening brackets: most texts (a sysinfo has a
  // handful) are cleared by counting them, strings included, which can only count too many.
  if (!hasOpeningBrackets(text, max + 1)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/**
 * True when a value nests objects and arrays deeper than `max` (a scalar has depth 0). Walks
 * without recursion and never below `max`, so a hostile value cannot exhaust the stack here.
 * Buffers and typed arrays are leaves. A cycle counts as infinitely deep unless `cycles` is
 * 'ignore' (for values a copy handles cycles in); an object shared by two branches is no cycle,
 * and is walked again only when reached deeper than before, so sharing cannot make the walk
 * exponential (30 objects, each referred to twice by the next, make 2^30 paths).
 * Top-level keys in `skip` are not walked.
 */
export function valueNestsDeeperThan(
  value: unknown,
  max: number = MAX_JSON_DEPTH,
  options: { cycles?: 'deep' | 'ignore'; skip?: readonly string[] } = {},
): boolean {
  // Each entry is a value to enter, or (leave) the object whose children are all done.
  const stack: Array<{ value: unknown; depth: number; leave?: true }> = [{ value, depth: 0 }];
  const onPath = new Set<object>();
  /** The deepest level each object was walked from: its subtree fitted below `max` from there. */
  const walkedAt = new Map<object, number>();
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const current = entry.value;
    if (typeof current !== 'object' || current === null || ArrayBuffer.isView(current)) continue;
    if (entry.leave) {
      onPath.delete(current);
      continue;
    }
    if (onPath.has(current)) {
      if (options.cycles === 'ignore') continue;
      return true;
    }
    const before = walkedAt.get(current);
    if (before !== undefined && before >= entry.depth) continue;
    if (entry.depth + 1 > max) return true;
    walkedAt.set(current, entry.depth);
    onPath.add(current);
    stack.push({ value: current, depth: entry.depth, leave: true });
    for (const [key, child] of Object.entries(current)) {
      if (entry.depth === 0 && options.skip?.includes(key) === true) continue;
      stack.push({ value: child, depth: entry.depth + 1 });
    }
  }
  return false;
}

/** Most values a command may hold when written as JSON: far beyond any device's request, far below a stall. */
export const MAX_JSON_VALUES = 100_000;

/**
 * True when writing `value` as JSON would write more than `max` values. An object shared by many
 * branches is written once for each, so a few objects (a batch of 100 batches that all refer to one
 * batch of 100 ...) stand for 100^5 values and hold JSON.stringify for minutes. Walks without
 * recursion and stops at `max`; a cycle never ends, so it counts as too many.
 */
export function valueWritesMoreThan(value: unknown, max: number = MAX_JSON_VALUES): boolean {
  const stack: unknown[] = [value];
  let count = 0;
  while (stack.length > 0) {
    const current = stack.pop();
    if (++count > max) return true;
    if (typeof current !== 'object' || current === null || ArrayBuffer.isView(current)) continue;
    // Own enumerable values, as JSON.stringify writes them; no array made per object.
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) stack.push(current[i]);
      continue;
    }
    for (const key in current) if (Object.hasOwn(current, key)) stack.push((current as Record<string, unknown>)[key]);
  }
  return false;
}
