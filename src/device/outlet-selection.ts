import { displayList, displayText, displayValue } from '../util/display-text';
import { ErrorCode, KasaError } from '../util/errors';
import { CHILD_KIND_LABELS } from './kind';
import type { DeviceInfo, OutletInfo } from './state';

/** An outlet as named by a person or a flow: 1-based index, full or 2-digit child id, alias, or "all". */
export type OutletSelector = number | string;

/**
 * Finds outlets by 1-based index (number or "3"), full child id, 2-digit suffix ("02"), alias
 * (exact, then ignoring case), or "all". Throws BAD_INPUT naming the outlets there are.
 */
export function resolveOutlets(
  info: DeviceInfo,
  selectors: OutletSelector | readonly OutletSelector[],
  device: string,
): OutletInfo[] {
  const outlets = info.outlets;
  if (outlets === undefined || outlets.length === 0) {
    const named = `${device}${info.model ? ` (${displayText(info.model)})` : ''}`;
    const children = info.children ?? [];
    // A hub's sensors and switches are children, but no outlets: say what they are.
    const what =
      children.length === 0
        ? 'it has no outlets to choose from'
        : `its children are ${displayList(children.map((child) => `${displayText(child.alias || child.id)} (a ${CHILD_KIND_LABELS[child.kind]})`))}, not outlets`;
    throw new KasaError(ErrorCode.BAD_INPUT, `${named} is not a power strip: ${what}.`, { device });
  }
  const list = Array.isArray(selectors) ? selectors : [selectors as OutletSelector];
  if (list.length === 0) throw new KasaError(ErrorCode.BAD_INPUT, 'No outlet was chosen.', { device });
  const chosen = new Map<string, OutletInfo>();
  for (const selector of list) {
    for (const outlet of resolveOne(outlets, selector, device)) chosen.set(outlet.id, outlet);
  }
  return [...chosen.values()].sort((a, b) => a.index - b.index);
}

function resolveOne(outlets: readonly OutletInfo[], selector: OutletSelector, device: string): OutletInfo[] {
  const fail = (): never => {
    const names = displayList(outlets.map((o) => `${o.index} "${displayText(o.alias, 32)}"`));
    throw new KasaError(ErrorCode.BAD_INPUT, `No outlet ${displayValue(selector)} on ${device}; it has ${names}, or "all".`, {
      device,
    });
  };
  if (typeof selector === 'number') {
    const byIndex = outlets.find((o) => o.index === selector);
    return byIndex ? [byIndex] : fail();
  }
  if (typeof selector !== 'string' || selector.trim() === '') return fail();
  const wanted = selector.trim();
  if (wanted.toLowerCase() === 'all') return [...outlets];
  const match =
    outlets.find((o) => o.id === wanted || o.id.toLowerCase() === wanted.toLowerCase()) ??
    outlets.find((o) => o.alias === wanted) ??
    (/^\d{2}$/.test(wanted) ? outlets.find((o) => o.id.endsWith(wanted)) : undefined) ??
    (/^\d+$/.test(wanted) ? outlets.find((o) => o.index === Number(wanted)) : undefined) ??
    outlets.find((o) => o.alias.toLowerCase() === wanted.toLowerCase());
  return match ? [match] : fail();
}
