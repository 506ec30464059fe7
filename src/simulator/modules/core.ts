import type { EventEmitter } from 'node:events';
import { ErrorCode, KasaError } from '../../util/errors';
import { DeviceIdentity, ModelSpec, defaultAlias, defaultOutletAlias, deriveIdentity, seededInt } from '../models';
import type { DateParts } from './daily-series';
import type { Json, Outlet, Target } from './module';


/** Events: 'relay' (RelayEvent), emitted when a relay changes. */
export interface RelayEvent {
  /** 0-based outlet index on strips; absent on plugs. */
  outlet?: number;
  on: boolean;
}

/**
 * What every module of one device shares: the model, the burnt-in identity, the relays, the
 * device's clock, and the way to tell the world (the DeviceState's events).
 */
export class DeviceCore {
  readonly identity: DeviceIdentity;
  /** One entry on a plug (its relay), one per outlet on a strip. */
  readonly outlets: Outlet[];
  alias = '';
  /** How far the device's clock is from the host's: the time module sets it, stats read it. */
  clockOffsetMs = 0;
  /** Restores every module's factory settings; set by the composition. */
  resetAll: () => void = () => undefined;
  /** The whole sysinfo, every module's fields; set by the composition. */
  sysinfo: () => Json = () => ({});

  constructor(
    readonly spec: ModelSpec,
    readonly seed: string | number,
    readonly clock: () => number,
    private readonly events: EventEmitter,
  ) {
    this.identity = deriveIdentity(spec, seed);
    const now = clock();
    this.outlets = Array.from({ length: Math.max(1, spec.outlets) }, (_unused, index) => ({
      id: '',
      alias: '',
      on: true,
      onSince: now - (seededInt('on_time', seed, this.slot(index)) % 86_400) * 1000,
    }));
    this.renumberOutlets();
  }

  get isStrip(): boolean {
    return this.spec.outlets > 0;
  }

  /** The seed part that tells outlets apart: "plug" for a plug's single relay, else the index. */
  slot(index: number): string | number {
    return this.isStrip ? index : 'plug';
  }

  /** The names a factory reset restores. */
  reset(alias?: string): void {
    this.alias = alias ?? defaultAlias(this.spec, this.identity.mac);
    this.outlets.forEach((outlet, index) => {
      outlet.alias = defaultOutletAlias(index);
    });
  }

  renumberOutlets(): void {
    this.outlets.forEach((outlet, index) => {
      outlet.id = this.isStrip ? `${this.identity.deviceId}${String(index).padStart(2, '0')}` : this.identity.deviceId;
    });
  }

  outletAt(index: number): Outlet {
    const count = this.outlets.length;
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new KasaError(
        ErrorCode.BAD_INPUT,
        this.isStrip
          ? `A ${this.spec.model} has outlets 0 to ${count - 1} (0-based); ${String(index)} is not one of them.`
          : `A ${this.spec.model} is a plug with a single relay: leave the outlet out.`,
      );
    }
    return this.outlets[index]!;
  }

  /** The outlets a per-outlet method acts on: those the context names, or all of them. */
  addressed(target: Target): Outlet[] {
    return target.kind === 'outlets' ? target.outlets : this.outlets;
  }

  /** The outlet a per-outlet read answers for: the first one named, or slot 0 (never a sum). */
  first(target: Target): Outlet {
    return target.kind === 'outlets' ? target.outlets[0]! : this.outlets[0]!;
  }

  switchOutlet(outlet: Outlet, on: boolean): void {
    if (outlet.on === on) return;
    outlet.on = on;
    outlet.onSince = this.clock();
    const event: RelayEvent = this.isStrip ? { outlet: this.outlets.indexOf(outlet), on } : { on };
    this.events.emit('relay', event);
  }

  emit(event: string, payload: unknown): void {
    this.events.emit(event, payload);
  }

  onTime(outlet: Outlet): number {
    return outlet.on ? Math.max(0, Math.floor((this.clock() - outlet.onSince) / 1000)) : 0;
  }

  deviceNow(): number {
    return this.clock() + this.clockOffsetMs;
  }

  today(): DateParts {
    const now = new Date(this.deviceNow());
    return { year: now.getFullYear(), month: now.getMonth() + 1, day: now.getDate() };
  }
}
