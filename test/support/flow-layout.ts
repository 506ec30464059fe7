// What the editor would draw for a node of an example, estimated from the flow file alone, so a
// test can say that no example has nodes on top of each other or cut off at the canvas edge.
//
// Node-RED (editor view.js) makes a node max(100, 20 * ceil((label width + 50 + 7 if it has an
// input) / 20)) px wide and max(30, 15 * outputs) px high, centred on (x, y). The label is drawn in
// 14 px Helvetica, about 7 px a character on average; 8 px is taken here so the estimate errs
// towards more room (capitals and digits are wider). Inject nodes draw their button 25 px left of
// the box, debug nodes 25 px right of it: those count as part of the node.

export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  x?: number;
  y?: number;
  name?: string;
  wires?: string[][];
  [key: string]: unknown;
}

export interface Box {
  id: string;
  label: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const CHAR_WIDTH_PX = 8;
const MIN_WIDTH = 100;
const MIN_HEIGHT = 30;
const ICON_AND_PADDING = 50;
const INPUT_PORT = 7;
const BUTTON = 25;
/** Node types with no input port (everything else the examples use has one). */
const NO_INPUT = new Set(['inject', 'comment', 'catch', 'status', 'complete', 'link in']);

export function boxOf(node: FlowNode): Box {
  const label = String(node.name ?? '');
  const textWidth = label.length * CHAR_WIDTH_PX;
  const width = Math.max(MIN_WIDTH, 20 * Math.ceil((textWidth + ICON_AND_PADDING + (NO_INPUT.has(node.type) ? 0 : INPUT_PORT)) / 20));
  const height = Math.max(MIN_HEIGHT, 15 * (node.wires?.length ?? 0));
  const x = Number(node.x);
  const y = Number(node.y);
  return {
    id: node.id,
    label: `${node.type} "${label}"`,
    left: x - width / 2 - (node.type === 'inject' ? BUTTON : 0),
    right: x + width / 2 + (node.type === 'debug' ? BUTTON : 0),
    top: y - height / 2,
    bottom: y + height / 2,
  };
}

export function overlaps(a: Box, b: Box): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}
