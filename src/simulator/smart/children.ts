import { MethodTable, ok, pageOf } from './answer';
import { SimCountdown } from './countdown';
import type { SmartModelSpec } from './models';
import { SimSmartMeter } from './meter';
import { SwitchState } from './switch-state';

/** One outlet of a simulated strip: its own relay, name and countdown. */
export interface SimOutlet {
  readonly id: string;
  /** 0-based, as `position` in get_child_device_list. */
  readonly position: number;
  readonly relay: SwitchState;
  readonly countdown: SimCountdown;
  /** Strips that meter per outlet (P304M). */
  readonly meter?: SimSmartMeter;
}

/**
 * The outlets of a simulated strip and the parent's paged lists of them. Child ids are the
 * parent's id with a 2-digit suffix (the real format is unverified, PROTOCOL.md section 5).
 */
export class SimChildren {
  readonly outlets: SimOutlet[];

  constructor(
    private readonly spec: SmartModelSpec,
    private readonly parentId: string,
    private readonly mac: string,
    now: () => number,
    /** Entries per page of the lists. */
    private readonly pageSize: number,
    timeDiffMinutes = 0,
  ) {
    this.outlets = Array.from({ length: spec.outlets }, (_unused, position) => {
      const relay = new SwitchState({ nickname: `Plug ${position + 1}`, now });
      const id = `${parentId}${String(position).padStart(2, '0')}`;
      // Each outlet draws a little more than the one before, so sums and parts can be told apart.
      const outletSpec = spec.outletEnergy === undefined ? undefined : { ...spec, energy: spec.outletEnergy, loadMilliwatts: spec.loadMilliwatts * (position + 1) };
      const meter = outletSpec === undefined ? undefined : new SimSmartMeter(outletSpec, relay, timeDiffMinutes, id);
      return { id, position, relay, countdown: new SimCountdown(relay), ...(meter === undefined ? {} : { meter }) };
    });
  }

  find(id: unknown): SimOutlet | undefined {
    return this.outlets.find((outlet) => outlet.id === id);
  }

  /** Carries out any countdown that fell due. */
  tick(): void {
    for (const outlet of this.outlets) outlet.countdown.tick();
  }

  get parentMethods(): MethodTable {
    if (this.outlets.length === 0) return {};
    return {
      get_child_device_list: (params) => pageOf(params, 'child_device_list', this.outlets, this.pageSize, (outlet) => this.childInfo(outlet)),
      get_child_device_component_list: (params) =>
        pageOf(params, 'child_component_list', this.outlets, this.pageSize, (outlet) => ({ device_id: outlet.id, component_list: this.childComponents() })),
    };
  }

  /** The methods one outlet answers through control_child. */
  childMethods(outlet: SimOutlet): MethodTable {
    return {
      get_device_info: () => ok(this.childInfo(outlet)),
      set_device_info: (params) => outlet.relay.setInfo(params),
      component_nego: () => ok({ component_list: this.childComponents() }),
      ...outlet.countdown.methods,
      ...(outlet.meter?.methods ?? {}),
    };
  }

  private childInfo(outlet: SimOutlet): Record<string, unknown> {
    const macTail = this.mac.replace(/-/g, '');
    return {
      device_id: outlet.id,
      original_device_id: this.parentId,
      category: 'plug.powerstrip.sub-plug',
      position: outlet.position + 1,
      slot_number: this.outlets.length,
      model: this.spec.model,
      type: this.spec.type,
      hw_ver: this.spec.hwVer,
      fw_ver: this.spec.fwVer,
      mac: macTail,
      ...outlet.relay.infoFields(),
    };
  }

  private childComponents(): Array<{ id: string; ver_code: number }> {
    return [
      { id: 'device', ver_code: 2 },
      { id: 'countdown', ver_code: 2 },
      { id: 'schedule', ver_code: 2 },
      { id: 'default_states', ver_code: 1 },
      ...(this.spec.outletEnergy === undefined ? [] : [{ id: 'energy_monitoring', ver_code: this.spec.outletEnergy.verCode }]),
    ];
  }
}
