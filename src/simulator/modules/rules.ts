import { seededHex } from '../models';
import type { DeviceCore } from './core';
import { DailySeries } from './daily-series';
import { ERR_ARGUMENT, ERR_ENTRY, Json, MethodTable, SimModule, Target, isMonth, isYear } from './module';

/** schedule, count_down and anti_theft all keep a list of rules with ids. */
class RuleTable {
  rules: Json[] = [];
  enable = 1;
}

export const RULE_MODULES = ['schedule', 'count_down', 'anti_theft'] as const;
type RuleModule = (typeof RULE_MODULES)[number];
type RuleTables = Record<RuleModule, RuleTable>;

function newRuleTables(): RuleTables {
  return { schedule: new RuleTable(), count_down: new RuleTable(), anti_theft: new RuleTable() };
}

/**
 * `schedule`, `count_down`, `anti_theft`: rule lists per outlet (with a context) and the device's
 * own; `schedule` also keeps the runtime statistics. A plug's `active_mode` follows its rules.
 */
export class RulesModule implements SimModule {
  readonly methods: Readonly<Record<string, MethodTable>>;
  /** By outlet index. */
  private outletRules: RuleTables[] = [];
  /** A strip's own rules (no context); a plug's are its single outlet's. */
  private deviceRules!: RuleTables;
  private readonly runtimeMinutes: DailySeries[];
  private ruleCounter = 0;

  constructor(private readonly core: DeviceCore) {
    this.runtimeMinutes = core.outlets.map((_outlet, index) => new DailySeries(['runtime', core.seed, core.slot(index)], 0, 1440));
    this.reset();
    this.methods = Object.fromEntries(RULE_MODULES.map((module) => [module, this.table(module)]));
  }

  reset(): void {
    this.outletRules = this.core.outlets.map(() => newRuleTables());
    this.deviceRules = this.core.isStrip ? newRuleTables() : this.outletRules[0]!;
  }

  sysinfo(info: Json): void {
    if (this.core.isStrip) return;
    const rules = this.deviceRules;
    if (rules.count_down.rules.some((rule) => rule['enable'] === 1)) info['active_mode'] = 'count_down';
    else if (rules.schedule.enable === 1 && rules.schedule.rules.some((rule) => rule['enable'] === 1)) info['active_mode'] = 'schedule';
    else info['active_mode'] = 'none';
  }

  private table(module: RuleModule): MethodTable {
    const perOutlet = true;
    const core = this.core;
    const tables = (target: Target): RuleTable[] =>
      target.kind === 'outlets'
        ? target.outlets.map((outlet) => this.outletRules[core.outlets.indexOf(outlet)]![module])
        : [this.deviceRules[module]];
    const methods: MethodTable = {
      get_rules: {
        perOutlet,
        run: (_args, target) => {
          const table = tables(target)[0]!;
          const list = { rule_list: table.rules.map((rule) => ({ ...rule })) };
          return module === 'count_down' ? list : { ...list, enable: table.enable, version: 2 };
        },
      },
      add_rule: {
        perOutlet,
        run: (args, target) => {
          const id = seededHex(32, 'rule', core.seed, module, ++this.ruleCounter);
          for (const table of tables(target)) table.rules.push({ ...args, id });
          return { id };
        },
      },
      edit_rule: {
        perOutlet,
        run: (args, target) => {
          const all = tables(target);
          if (all.some((table) => !table.rules.some((rule) => rule['id'] === args['id']))) return { ...ERR_ENTRY };
          for (const table of all) table.rules = table.rules.map((rule) => (rule['id'] === args['id'] ? { ...rule, ...args } : rule));
          return {};
        },
      },
      delete_rule: {
        perOutlet,
        run: (args, target) => {
          const all = tables(target);
          if (all.some((table) => !table.rules.some((rule) => rule['id'] === args['id']))) return { ...ERR_ENTRY };
          for (const table of all) table.rules = table.rules.filter((rule) => rule['id'] !== args['id']);
          return {};
        },
      },
      delete_all_rules: {
        perOutlet,
        run: (_args, target) => {
          for (const table of tables(target)) table.rules = [];
          return {};
        },
      },
      set_overall_enable: {
        perOutlet,
        run: (args, target) => {
          const enable = args['enable'];
          if (enable !== 0 && enable !== 1) return { ...ERR_ARGUMENT };
          for (const table of tables(target)) table.enable = enable;
          return {};
        },
      },
    };
    if (module !== 'schedule') return methods;
    const runtime = (target: Target): DailySeries => this.runtimeMinutes[core.outlets.indexOf(core.first(target))]!;
    return {
      ...methods,
      get_next_action: { perOutlet, run: () => ({ type: -1 }) },
      erase_runtime_stat: {
        perOutlet,
        run: (_args, target) => {
          for (const outlet of core.addressed(target)) this.runtimeMinutes[core.outlets.indexOf(outlet)]!.erase();
          return {};
        },
      },
      get_daystat: {
        perOutlet,
        run: (args, target) => {
          const { year, month } = args;
          if (!isYear(year) || !isMonth(month)) return { ...ERR_ARGUMENT };
          const days = runtime(target).days(year, month, core.today());
          return { day_list: days.map(({ value, ...date }) => ({ ...date, time: value })) };
        },
      },
      get_monthstat: {
        perOutlet,
        run: (args, target) => {
          const year = args['year'];
          if (!isYear(year)) return { ...ERR_ARGUMENT };
          const months = runtime(target).months(year, core.today());
          return { month_list: months.map(({ value, ...date }) => ({ ...date, time: value })) };
        },
      },
    };
  }
}
