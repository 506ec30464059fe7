/**
 * Text a device chose (aliases, err_msg, models) is shown in statuses, error messages and logs.
 * Control characters would garble a status line or forge log lines, and bidirectional overrides
 * can make a message read backwards: both are removed, and the text is cut to a length that fits.
 */

// C0 and C1 controls, DEL, and the Unicode bidi marks, embeddings, overrides and isolates.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export const MAX_DISPLAY_CHARS = 64;
/** Lists in messages (a strip's outlets) name at most this many entries. */
export const MAX_LISTED = 8;

/** `value` safe to show: unsafe characters removed, at most `max` characters (with "..." when cut). */
export function displayText(value: string, max: number = MAX_DISPLAY_CHARS): string {
  const clean = value.replace(UNSAFE, '');
  const characters = Array.from(clean);
  return characters.length > max ? `${characters.slice(0, max).join('')}...` : clean;
}

/** "a, b, c and 12 more": a bounded list for a message. */
export function displayList(items: readonly string[], max: number = MAX_LISTED): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/** Any value as short, safe text for a message: JSON when it has a form, never throwing. */
export function displayValue(value: unknown, max: number = MAX_DISPLAY_CHARS): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? typeof value);
  } catch {
    text = Array.isArray(value) ? 'an array' : typeof value;
  }
  return displayText(text, max);
}
