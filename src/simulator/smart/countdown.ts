import { MethodTable, SIM_CODES, fail, ok } from './answer';
import type { SwitchState } from './switch-state';

interface Rule {
  id: string;
  enable: boolean;
  delay: number;
  on: boolean;
  /** When (the simulation's clock, ms) the rule switches the relay. */
  dueAt: number;
}

/**
 * The countdown rule of one switchable thing (one rule at most, as the firmware allows). Rules
 * are applied when the next request arrives rather than by a timer, so a simulation keeps no
 * timers alive and a test that moves the clock sees the effect at once.
 */
export class SimCountdown {
  private rule: Rule | undefined;

  constructor(private readonly relay: SwitchState) {}

  /** Carries out a rule that fell due. */
  tick(): void {
    const rule = this.rule;
    if (rule === undefined || !rule.enable || this.relay.now() < rule.dueAt) return;
    rule.enable = false;
    this.relay.setOn(rule.on);
  }

  get methods(): MethodTable {
    return {
      // The firmware wants `params: {}`; without any it answers -1008.
      get_countdown_rules: (params) => (params === undefined ? fail(SIM_CODES.params) : ok(this.rules())),
      add_countdown_rule: (params) => this.set(params, 'C1'),
      edit_countdown_rule: (params) => (this.rule === undefined || params?.['id'] !== this.rule.id ? fail(SIM_CODES.params) : this.set(params, this.rule.id)),
      delete_countdown_rule: (params) => {
        if (this.rule === undefined || params?.['id'] !== this.rule.id) return fail(SIM_CODES.params);
        this.rule = undefined;
        return ok();
      },
    };
  }

  private rules(): Record<string, unknown> {
    const rule = this.rule;
    const list =
      rule === undefined
        ? []
        : [
            {
              id: rule.id,
              enable: rule.enable,
              delay: rule.delay,
              desired_states: { on: rule.on },
              remain: rule.enable ? Math.max(0, Math.ceil((rule.dueAt - this.relay.now()) / 1000)) : 0,
            },
          ];
    return { enable: list.length > 0, countdown_rule_max_count: 1, rule_list: list };
  }

  private set(params: Record<string, unknown> | undefined, id: string) {
    const delay = params?.['delay'];
    const enable = params?.['enable'];
    const states = params?.['desired_states'];
    const on = typeof states === 'object' && states !== null ? (states as Record<string, unknown>)['on'] : undefined;
    if (!Number.isSafeInteger(delay) || (delay as number) < 1 || (delay as number) > 86_400 || typeof enable !== 'boolean' || typeof on !== 'boolean') {
      return fail(SIM_CODES.params);
    }
    this.rule = { id, enable, delay: delay as number, on, dueAt: this.relay.now() + (delay as number) * 1000 };
    return ok({ id });
  }
}
