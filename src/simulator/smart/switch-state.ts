import { MethodTable, SIM_CODES, base64, fail, fromBase64, ok } from './answer';

export interface SwitchStateOptions {
  nickname: string;
  on?: boolean;
  /** Clock of the simulation (ms); Date.now by default, tests may move it. */
  now?: () => number;
}

/**
 * The relay and name of one switchable thing: a plug, or one outlet of a strip. get_device_info
 * sends the nickname base64-encoded; set_device_info takes `device_on` and `nickname`.
 */
export class SwitchState {
  nickname: string;
  private on: boolean;
  private onSince: number;
  readonly now: () => number;
  /** Set by tests and faults: reported as `overheated`. */
  overheated = false;
  /** Called with the new state whenever the relay changes. */
  onChange: ((on: boolean) => void) | undefined;

  constructor(options: SwitchStateOptions) {
    this.nickname = options.nickname;
    this.on = options.on ?? false;
    this.now = options.now ?? Date.now;
    this.onSince = this.now();
  }

  get isOn(): boolean {
    return this.on;
  }

  setOn(on: boolean): void {
    if (on === this.on) return;
    this.on = on;
    this.onSince = this.now();
    this.onChange?.(on);
  }

  /** The fields every get_device_info of a switchable thing has. */
  infoFields(): Record<string, unknown> {
    return {
      device_on: this.on,
      on_time: this.on ? Math.floor((this.now() - this.onSince) / 1000) : 0,
      nickname: base64(this.nickname),
      overheated: this.overheated,
    };
  }

  /** set_device_info: every field given must be valid, or nothing changes (-1008). */
  setInfo(params: Record<string, unknown> | undefined): ReturnType<MethodTable[string]> {
    if (params === undefined) return fail(SIM_CODES.params);
    const on = params['device_on'];
    if (on !== undefined && typeof on !== 'boolean') return fail(SIM_CODES.params);
    let nickname: string | undefined;
    if (params['nickname'] !== undefined) {
      nickname = fromBase64(params['nickname']);
      if (nickname === undefined) return fail(SIM_CODES.params);
    }
    if (nickname !== undefined) this.nickname = nickname;
    if (typeof on === 'boolean') this.setOn(on);
    return ok();
  }
}
