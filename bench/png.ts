/**
 * A PNG writer and a small line-plot renderer for the heap run's curve, with Node's zlib only:
 * no browser and no package. PNG is a container (chunks with a CRC-32) around zlib-deflated rows
 * of pixels; text is drawn with a 5x7 bitmap font of the few characters the plot needs.
 */
import { deflateSync } from 'node:zlib';

type Rgb = readonly [number, number, number];

const CRC_TABLE = Array.from({ length: 256 }, (_unused, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An 8-bit RGB canvas. */
export class Canvas {
  readonly pixels: Buffer;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.pixels = Buffer.alloc(width * height * 3);
    for (let i = 0; i < width * height; i++) this.pixels.set(background, i * 3);
  }

  dot(x: number, y: number, color: Rgb): void {
    const px = Math.round(x);
    const py = Math.round(y);
    if (px < 0 || py < 0 || px >= this.width || py >= this.height) return;
    this.pixels.set(color, (py * this.width + px) * 3);
  }

  /** A line `thickness` pixels wide (a square brush along a DDA walk). */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 1): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const half = Math.floor(thickness / 2);
    for (let i = 0; i <= steps; i++) {
      const x = x0 + ((x1 - x0) * i) / steps;
      const y = y0 + ((y1 - y0) * i) / steps;
      for (let dx = -half; dx < thickness - half; dx++) for (let dy = -half; dy < thickness - half; dy++) this.dot(x + dx, y + dy, color);
    }
  }

  /** Text in the 5x7 font, `scale` pixels per font pixel; characters without a glyph are blank. */
  text(x: number, y: number, text: string, color: Rgb, scale = 2): void {
    let cursor = x;
    for (const char of text) {
      const rows = GLYPHS[char] ?? GLYPHS[char.toUpperCase()];
      if (rows !== undefined) {
        rows.forEach((row, ry) => {
          for (let rx = 0; rx < 5; rx++) {
            if (row & (1 << (4 - rx))) for (let sx = 0; sx < scale; sx++) for (let sy = 0; sy < scale; sy++) this.dot(cursor + rx * scale + sx, y + ry * scale + sy, color);
          }
        });
      }
      cursor += 6 * scale;
    }
  }

  textWidth(text: string, scale = 2): number {
    return text.length * 6 * scale;
  }

  png(): Buffer {
    const header = Buffer.alloc(13);
    header.writeUInt32BE(this.width, 0);
    header.writeUInt32BE(this.height, 4);
    header[8] = 8; // bits per channel
    header[9] = 2; // colour type: RGB
    const rowBytes = this.width * 3;
    const raw = Buffer.alloc((rowBytes + 1) * this.height);
    for (let y = 0; y < this.height; y++) this.pixels.copy(raw, y * (rowBytes + 1) + 1, y * rowBytes, (y + 1) * rowBytes); // filter 0 per row
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
  }
}

/** 5x7 glyphs, one number per row, bit 4 the leftmost pixel. */
const GLYPHS: Record<string, readonly number[]> = {
  '0': [14, 17, 19, 21, 25, 17, 14],
  '1': [4, 12, 4, 4, 4, 4, 14],
  '2': [14, 17, 1, 2, 4, 8, 31],
  '3': [31, 2, 4, 2, 1, 17, 14],
  '4': [2, 6, 10, 18, 31, 2, 2],
  '5': [31, 16, 30, 1, 1, 17, 14],
  '6': [6, 8, 16, 30, 17, 17, 14],
  '7': [31, 1, 2, 4, 8, 8, 8],
  '8': [14, 17, 17, 14, 17, 17, 14],
  '9': [14, 17, 17, 15, 1, 2, 12],
  '.': [0, 0, 0, 0, 0, 12, 12],
  ',': [0, 0, 0, 0, 12, 4, 8],
  ':': [0, 12, 12, 0, 12, 12, 0],
  '-': [0, 0, 0, 31, 0, 0, 0],
  '+': [0, 4, 4, 31, 4, 4, 0],
  '%': [24, 25, 2, 4, 8, 19, 3],
  '/': [0, 1, 2, 4, 8, 16, 0],
  '(': [2, 4, 8, 8, 8, 4, 2],
  ')': [8, 4, 2, 2, 2, 4, 8],
  '=': [0, 0, 31, 0, 31, 0, 0],
  '<': [2, 4, 8, 16, 8, 4, 2],
  '>': [8, 4, 2, 1, 2, 4, 8],
  A: [14, 17, 17, 31, 17, 17, 17],
  B: [30, 17, 17, 30, 17, 17, 30],
  C: [14, 17, 16, 16, 16, 17, 14],
  D: [28, 18, 17, 17, 17, 18, 28],
  E: [31, 16, 16, 30, 16, 16, 31],
  F: [31, 16, 16, 30, 16, 16, 16],
  G: [14, 17, 16, 23, 17, 17, 15],
  H: [17, 17, 17, 31, 17, 17, 17],
  I: [14, 4, 4, 4, 4, 4, 14],
  J: [7, 2, 2, 2, 2, 18, 12],
  K: [17, 18, 20, 24, 20, 18, 17],
  L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17],
  N: [17, 17, 25, 21, 19, 17, 17],
  O: [14, 17, 17, 17, 17, 17, 14],
  P: [30, 17, 17, 30, 16, 16, 16],
  Q: [14, 17, 17, 17, 21, 18, 13],
  R: [30, 17, 17, 30, 20, 18, 17],
  S: [15, 16, 16, 14, 1, 1, 30],
  T: [31, 4, 4, 4, 4, 4, 4],
  U: [17, 17, 17, 17, 17, 17, 14],
  V: [17, 17, 17, 17, 17, 10, 4],
  W: [17, 17, 17, 21, 21, 21, 10],
  X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 10, 4, 4, 4, 4],
  Z: [31, 1, 2, 4, 8, 16, 31],
};

export interface Series {
  label: string;
  color: Rgb;
  /** [x, y] points, x ascending. */
  points: ReadonlyArray<readonly [number, number]>;
}

export interface PlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** A vertical marker line, e.g. the end of the warm-up. */
  markerX?: number;
  /** A horizontal band [low, high] drawn lightly, e.g. the allowed growth. */
  band?: readonly [number, number];
  width?: number;
  height?: number;
}

/** Round step for about `count` ticks over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].map((m) => m * magnitude).find((step) => step >= raw) ?? 10 * magnitude);
}

const formatTick = (value: number, step: number): string => value.toFixed(Math.max(0, -Math.floor(Math.log10(step))));

/** A line chart with axes, ticks, a title and a legend, as PNG bytes. */
export function plotPng(options: PlotOptions): Buffer {
  const width = options.width ?? 960;
  const height = options.height ?? 540;
  const canvas = new Canvas(width, height);
  const left = 90;
  const right = width - 30;
  const top = 60;
  const bottom = height - 70;
  const all = options.series.flatMap((s) => s.points);
  const xs = all.map(([x]) => x);
  const ys = [...all.map(([, y]) => y), ...(options.band ?? [])];
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(xMin + 1, ...xs);
  const ySpan = Math.max(1e-9, Math.max(...ys) - Math.min(...ys));
  const yStep = niceStep(ySpan * 1.2 || 1, 6);
  const yMin = Math.floor((Math.min(...ys) - ySpan * 0.1) / yStep) * yStep;
  const yMax = Math.ceil((Math.max(...ys) + ySpan * 0.1) / yStep) * yStep;
  const px = (x: number): number => left + ((x - xMin) / (xMax - xMin)) * (right - left);
  const py = (y: number): number => bottom - ((y - yMin) / (yMax - yMin || 1)) * (bottom - top);
  const ink: Rgb = [40, 40, 40];
  const grid: Rgb = [225, 225, 225];

  if (options.band !== undefined) {
    const [low, high] = options.band;
    for (let y = Math.round(py(high)); y <= Math.round(py(low)); y++) canvas.line(left, y, right, y, [232, 245, 232]);
  }
  for (let y = yMin; y <= yMax + yStep / 2; y += yStep) {
    canvas.line(left, py(y), right, py(y), grid);
    const label = formatTick(y, yStep);
    canvas.text(left - 8 - canvas.textWidth(label), py(y) - 7, label, ink);
  }
  const xStep = niceStep(xMax - xMin, 8);
  for (let x = Math.ceil(xMin / xStep) * xStep; x <= xMax + 1e-9; x += xStep) {
    canvas.line(px(x), top, px(x), bottom, grid);
    const label = formatTick(x, xStep);
    canvas.text(px(x) - canvas.textWidth(label) / 2, bottom + 10, label, ink);
  }
  canvas.line(left, top, left, bottom, ink, 2);
  canvas.line(left, bottom, right, bottom, ink, 2);
  if (options.markerX !== undefined) {
    for (let y = top; y < bottom; y += 10) canvas.line(px(options.markerX), y, px(options.markerX), Math.min(bottom, y + 5), [200, 120, 0], 2);
  }
  for (const series of options.series) {
    series.points.forEach(([x, y], i) => {
      if (i > 0) canvas.line(px(series.points[i - 1]![0]), py(series.points[i - 1]![1]), px(x), py(y), series.color, 3);
      canvas.line(px(x) - 2, py(y), px(x) + 2, py(y), series.color, 5);
    });
  }
  canvas.text(left, 8, options.title, ink);
  canvas.text((left + right) / 2 - canvas.textWidth(options.xLabel) / 2, height - 30, options.xLabel, ink);
  canvas.text(10, top - 23, options.yLabel, ink);
  let legendX = right;
  for (const series of [...options.series].reverse()) {
    legendX -= canvas.textWidth(series.label) + 40;
    canvas.line(legendX, top - 16, legendX + 24, top - 16, series.color, 4);
    canvas.text(legendX + 30, top - 23, series.label, ink);
  }
  return canvas.png();
}
