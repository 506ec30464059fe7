import { ErrorCode, KasaError } from '../util/errors';

/**
 * The light-strip effects this package offers, in neither family's words: Kasa and Tapo strips both
 * take a whole effect object (an id, a name, a type, colours) and run it, so each family builds its
 * own object from these. They are the package's own designs (custom effects, as the apps call
 * them), not copies of the apps' built-in ones. The object's fields follow what python-kasa sends;
 * that a strip runs an effect it has never seen (custom: 1, an id of ours) is unverified on hardware.
 */
export interface EffectDesign {
  name: string;
  /** "sequence": the colours in turn; "random": colours drawn from the ranges. */
  type: 'sequence' | 'random';
  /** [hue 0-360, saturation 0-100, brightness 0-100] per step (sequence), or shown in the app (random). */
  colours: ReadonlyArray<readonly [number, number, number]>;
  /** Random effects: the ranges colours are drawn from, [min, max]. */
  ranges?: { hue: readonly [number, number]; saturation: readonly [number, number]; brightness: readonly [number, number] };
  /** ms from one colour to the next. */
  transitionMs: number;
}

export const EFFECT_DESIGNS: readonly EffectDesign[] = [
  {
    name: 'Rainbow',
    type: 'sequence',
    colours: [
      [0, 100, 100],
      [60, 100, 100],
      [120, 100, 100],
      [180, 100, 100],
      [240, 100, 100],
      [300, 100, 100],
    ],
    transitionMs: 1000,
  },
  {
    name: 'Ocean',
    type: 'sequence',
    colours: [
      [200, 100, 80],
      [185, 80, 60],
      [220, 90, 100],
      [175, 70, 70],
    ],
    transitionMs: 2500,
  },
  {
    name: 'Sunset',
    type: 'sequence',
    colours: [
      [35, 100, 100],
      [20, 100, 85],
      [5, 95, 70],
      [320, 70, 50],
    ],
    transitionMs: 3000,
  },
  {
    name: 'Forest',
    type: 'sequence',
    colours: [
      [120, 90, 60],
      [95, 80, 75],
      [140, 100, 45],
    ],
    transitionMs: 2000,
  },
  {
    name: 'Candlelight',
    type: 'random',
    colours: [
      [25, 95, 60],
      [35, 90, 45],
    ],
    ranges: { hue: [20, 40], saturation: [85, 100], brightness: [30, 70] },
    transitionMs: 400,
  },
];

/** The design of that name (any case), or undefined. */
export function effectDesign(name: string): EffectDesign | undefined {
  const wanted = name.trim().toLowerCase();
  return EFFECT_DESIGNS.find((design) => design.name.toLowerCase() === wanted);
}

/** A stable id for an effect of this package: the same name, the same id, whichever strip runs it. */
export function effectId(design: EffectDesign): string {
  return `kasaflows-${design.name.toLowerCase()}`;
}

/** BAD_INPUT for an effect the light does not have, naming those it has. */
export function noSuchEffect(name: string, names: readonly string[]): KasaError {
  return new KasaError(ErrorCode.BAD_INPUT, `There is no effect "${name}"; one of: ${names.join(', ')} (or "off").`);
}

/** The design of that name, or BAD_INPUT listing them. */
export function designNamed(name: string): EffectDesign {
  const design = effectDesign(name);
  if (design === undefined) throw noSuchEffect(name, EFFECT_DESIGNS.map((d) => d.name));
  return design;
}

/**
 * A design as the effect object both families' strips take (a custom effect over the whole strip,
 * segment 0 expanded): sequence effects list their colours, random ones their ranges.
 */
export function stripEffectObject(design: EffectDesign, brightness: number): Record<string, unknown> {
  const common = {
    custom: 1,
    id: effectId(design),
    name: design.name,
    enable: 1,
    brightness,
    segments: [0],
    expansion_strategy: 1,
    type: design.type,
    duration: 0,
    transition: design.transitionMs,
    repeat_times: 0,
  };
  if (design.type === 'sequence') return { ...common, sequence: design.colours.map((colour) => [...colour]), direction: 1, spread: 1 };
  const ranges = design.ranges!;
  return { ...common, hue_range: [...ranges.hue], saturation_range: [...ranges.saturation], brightness_range: [...ranges.brightness] };
}
