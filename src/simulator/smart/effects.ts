import { MethodTable, SIM_CODES, SmartAnswer, fail, ok } from './answer';
import { isWholeInRange } from './light';

type Json = Record<string, unknown>;

/** The effect types a light strip runs. */
const STRIP_EFFECT_TYPES = ['sequence', 'random', 'pulse'] as const;
/** Segment effects (L930); from another client library, unverified against python-kasa. */
const SEGMENT_EFFECT_TYPES = ['circulating', 'breathe', 'chasing', 'flicker', 'bloom', 'stacking', 'none'] as const;

/** 0/1 as effects send it (booleans tolerated); undefined when neither. */
function flag(value: unknown): 0 | 1 | undefined {
  if (value === 0 || value === false) return 0;
  if (value === 1 || value === true) return 1;
  return undefined;
}

/** A list of [hue, saturation, brightness, ...] colours, each part a whole number in range. */
function isColourList(value: unknown, parts: 3 | 4): boolean {
  return (
    Array.isArray(value) &&
    value.length <= 64 &&
    value.every(
      (colour) =>
        Array.isArray(colour) &&
        colour.length === parts &&
        isWholeInRange(colour[0], 0, 360) &&
        isWholeInRange(colour[1], 0, 100) &&
        isWholeInRange(colour[2], 0, 100) &&
        (parts === 3 || isWholeInRange(colour[3], 0, 9000)),
    )
  );
}

function isSegmentList(value: unknown, segments: number): boolean {
  return Array.isArray(value) && value.length <= segments && value.every((segment) => isWholeInRange(segment, 0, segments - 1));
}

/**
 * One effect a strip keeps (the lighting effect, or the segment effect): the last one given, and
 * its summary in get_device_info under `infoKey`.
 */
abstract class StripEffectSlot {
  constructor(
    private readonly infoKey: string,
    protected effect: Json,
    protected readonly segments: number,
    protected readonly onStart: () => void,
  ) {}

  get active(): boolean {
    return this.effect['enable'] === 1;
  }

  /** Stops the running effect, as a plain colour or white does. */
  stop(): void {
    this.effect['enable'] = 0;
  }

  infoFields(): Json {
    const { brightness, custom, display_colors, enable, id, name } = this.effect;
    return { [this.infoKey]: { brightness, custom, display_colors, enable, id, name } };
  }
}

/**
 * A light strip's lighting effect (component light_strip_lighting_effect): set_lighting_effect
 * takes a whole effect object (id, name, enable, brightness, type, segments, colours ...) and
 * runs it, or `{brightness, bAdjusted: true}` to dim the running one, or `enable: 0` to stop it;
 * get_lighting_effect gives the last effect, get_device_info its summary as `lighting_effect`.
 */
export class SimStripEffect extends StripEffectSlot {
  constructor(
    /** Segments of the strip (a plausible count). */
    segments: number,
    /** Called when an effect starts: the strip turns on to show it (unverified). */
    onStart: () => void,
  ) {
    super('lighting_effect', { id: '', name: 'station', enable: 0, brightness: 50, custom: 0, display_colors: [], type: 'sequence' }, segments, onStart);
  }

  get methods(): MethodTable {
    return {
      get_lighting_effect: () => ok({ ...this.effect }),
      set_lighting_effect: (params) => this.set(params),
    };
  }

  private set(params: Json | undefined): SmartAnswer {
    if (params === undefined) return fail(SIM_CODES.params);
    const brightness = params['brightness'];
    if (brightness !== undefined && !isWholeInRange(brightness, 0, 100)) return fail(SIM_CODES.params);
    if (params['bAdjusted'] === true) {
      if (brightness === undefined) return fail(SIM_CODES.params);
      this.effect['brightness'] = brightness;
      return ok();
    }
    const enable = flag(params['enable']);
    if (enable === undefined) return fail(SIM_CODES.params);
    if (enable === 0) {
      this.stop();
      return ok();
    }
    const { id, name, type, segments, display_colors } = params;
    const custom = flag(params['custom'] ?? 0);
    if (typeof id !== 'string' || id === '' || id.length > 64 || typeof name !== 'string' || name.length > 64 || custom === undefined) return fail(SIM_CODES.params);
    if (type !== undefined && !(STRIP_EFFECT_TYPES as readonly unknown[]).includes(type)) return fail(SIM_CODES.params);
    if (segments !== undefined && !isSegmentList(segments, this.segments)) return fail(SIM_CODES.params);
    if (display_colors !== undefined && !isColourList(display_colors, 3)) return fail(SIM_CODES.params);
    this.effect = { display_colors: [], brightness: 100, type: 'sequence', ...params, enable: 1, custom };
    delete this.effect['bAdjusted'];
    this.onStart();
    return ok();
  }
}

/**
 * A strip's segment effect (component segment_effect, L930): apply_segment_effect_rule with an
 * effect object, get_segment_effect_rule, get_device_segment, and `segment_effect` in
 * get_device_info. The method name and fields come from another client library (checked by its
 * authors against an L930), not python-kasa, which only reads them: unverified here.
 */
export class SimSegmentEffect extends StripEffectSlot {
  constructor(segments: number, onStart: () => void) {
    super('segment_effect', { id: '', name: 'station', enable: 0, brightness: 0, custom: 0, display_colors: [] }, segments, onStart);
  }

  get methods(): MethodTable {
    return {
      get_device_segment: () => ok({ segment: this.segments }),
      get_segment_effect_rule: () => ok({ ...this.effect }),
      apply_segment_effect_rule: (params) => this.apply(params),
    };
  }

  private apply(params: Json | undefined): SmartAnswer {
    if (params === undefined) return fail(SIM_CODES.params);
    const { id, name, brightness, display_colors, segments, states, type } = params;
    const enable = flag(params['enable']);
    const custom = flag(params['custom'] ?? 0);
    if (enable === undefined || custom === undefined) return fail(SIM_CODES.params);
    if (typeof id !== 'string' || id === '' || id.length > 64 || typeof name !== 'string' || name.length > 64) return fail(SIM_CODES.params);
    if (!isWholeInRange(brightness, 0, 100) || !isColourList(display_colors, 4)) return fail(SIM_CODES.params);
    if (type !== undefined && !(SEGMENT_EFFECT_TYPES as readonly unknown[]).includes(type)) return fail(SIM_CODES.params);
    // A custom effect names its segments and their states.
    if (custom === 1 && (!isSegmentList(segments, this.segments) || !isColourList(states, 4) || type === undefined)) return fail(SIM_CODES.params);
    this.effect = { ...params, enable, custom };
    if (enable === 1) this.onStart();
    return ok();
  }
}

interface BulbRule {
  id: string;
  /** Empty until renamed in the app; then base64. */
  scene_name: string;
  change_mode: 'direct' | 'bln';
  change_time: number;
  /** [brightness, hue, saturation, color_temp] per step. */
  color_status_list: number[][];
}

/**
 * A colour bulb's dynamic light effects (component light_effect, L530): the two built-in rules
 * L1 ("Party") and L2 ("Relax"), turned on and off with set_dynamic_light_effect_rule_enable
 * {enable, id}, edited with edit_dynamic_light_effect_rule; get_device_info reports
 * dynamic_light_effect_enable and, while one runs, dynamic_light_effect_id.
 */
export class SimBulbEffect {
  private readonly rules: BulbRule[] = [
    {
      id: 'L1',
      scene_name: '',
      change_mode: 'direct',
      change_time: 1000,
      color_status_list: [
        [100, 0, 0, 2700],
        [100, 330, 95, 0],
        [100, 200, 98, 0],
        [100, 10, 96, 0],
        [100, 150, 100, 0],
        [100, 270, 92, 0],
      ],
    },
    {
      id: 'L2',
      scene_name: '',
      change_mode: 'bln',
      change_time: 2000,
      color_status_list: [
        [100, 50, 8, 0],
        [100, 20, 35, 0],
        [100, 190, 50, 0],
        [100, 320, 22, 0],
      ],
    },
  ];
  private running: string | undefined;

  constructor(private readonly onStart: () => void) {}

  get active(): boolean {
    return this.running !== undefined;
  }

  stop(): void {
    this.running = undefined;
  }

  infoFields(): Json {
    return this.running === undefined ? { dynamic_light_effect_enable: false } : { dynamic_light_effect_enable: true, dynamic_light_effect_id: this.running };
  }

  get methods(): MethodTable {
    return {
      get_dynamic_light_effect_rules: () =>
        ok({
          enable: this.running !== undefined,
          ...(this.running === undefined ? {} : { current_rule_id: this.running }),
          max_count: this.rules.length,
          rule_list: this.rules.map((rule) => ({ ...rule, color_status_list: rule.color_status_list.map((step) => [...step]) })),
          start_index: 0,
          sum: this.rules.length,
        }),
      set_dynamic_light_effect_rule_enable: (params) => this.enable(params),
      edit_dynamic_light_effect_rule: (params) => this.edit(params),
    };
  }

  private enable(params: Json | undefined): SmartAnswer {
    const enable = params?.['enable'];
    if (typeof enable !== 'boolean') return fail(SIM_CODES.params);
    if (!enable) {
      this.running = undefined;
      return ok();
    }
    const rule = this.rules.find((candidate) => candidate.id === params?.['id']);
    if (rule === undefined) return fail(SIM_CODES.params);
    this.running = rule.id;
    this.onStart();
    return ok();
  }

  private edit(params: Json | undefined): SmartAnswer {
    const rule = this.rules.find((candidate) => candidate.id === params?.['id']);
    const steps = params?.['color_status_list'];
    if (rule === undefined || !Array.isArray(steps) || steps.length === 0 || steps.length > 16) return fail(SIM_CODES.params);
    const valid = steps.every(
      (step) =>
        Array.isArray(step) &&
        step.length === 4 &&
        isWholeInRange(step[0], 1, 100) &&
        isWholeInRange(step[1], 0, 360) &&
        isWholeInRange(step[2], 0, 100) &&
        isWholeInRange(step[3], 0, 9000),
    );
    const name = params?.['scene_name'];
    if (!valid || (name !== undefined && (typeof name !== 'string' || name.length > 64))) return fail(SIM_CODES.params);
    rule.color_status_list = (steps as number[][]).map((step) => [...step]);
    // The app sends a new name base64-encoded; kept as sent.
    if (typeof name === 'string') rule.scene_name = name;
    return ok();
  }
}
