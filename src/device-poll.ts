import { batch } from './commands';
import type { KasaDevice, MeterReading, Target } from './device';
import { normaliseRealtime } from './energy';
import { ErrorCode, KasaError } from './errors';
import { modulesOf } from './family/iot/kinds';
import { isObject } from './reply';
import type { DeviceInfo } from './sysinfo';

/** What one poll of a device found: its sysinfo, and the meter readings its watchers asked for. */
export interface DeviceReading {
  info: DeviceInfo;
  /**
   * By part (`partKey`): the reading, or why there is none (no meter, an unanswered outlet).
   * Empty for a command's read-back, which reads no meter.
   */
  meters: ReadonlyMap<string, MeterReading | KasaError>;
}

/** '' is the device itself; an outlet is its id. */
export function partKey(part: Target): string {
  return part.outlets[0]?.id ?? '';
}

/** A reading shared after a command: the state only. */
export function stateReading(info: DeviceInfo): DeviceReading {
  return { info, meters: new Map() };
}

/**
 * Reads a device once for all who watch it: sysinfo and, in the same request, the device's own
 * meter; each outlet asked for is read on its own (a strip meters one outlet per request).
 * Each of `wanted` names meter targets from the sysinfo; one that throws only leaves its own out.
 */
export async function pollDevice(device: KasaDevice, wanted: ReadonlyArray<(info: DeviceInfo) => readonly Target[]>): Promise<DeviceReading> {
  const known = device.info;
  const meters = new Map<string, MeterReading | KasaError>();
  const withMeter = known !== undefined && known.hasEnergyMeter && partsOf(wanted, known).some((part) => partKey(part) === '');
  let info: DeviceInfo;
  if (withMeter) {
    const meter = modulesOf(known.kind).meter;
    const reply = await device.client.send(batch(modulesOf(known.kind).system.getSysinfo(), meter.getRealtime()));
    info = device.readSysinfo(reply).info;
    const module = reply[meter.name];
    const raw = isObject(module) ? module['get_realtime'] : undefined;
    meters.set('', isObject(raw) ? readingOf(raw) : noReading(device));
  } else {
    info = (await device.getSysinfo()).info;
  }
  for (const part of partsOf(wanted, info)) {
    const key = partKey(part);
    if (meters.has(key)) continue;
    try {
      const { parts } = await part.realtime();
      meters.set(key, parts[0]!);
    } catch (err) {
      if (!(err instanceof KasaError) || err.code !== ErrorCode.NO_ENERGY_METER) throw err;
      meters.set(key, err);
    }
  }
  return { info, meters };
}

function partsOf(wanted: ReadonlyArray<(info: DeviceInfo) => readonly Target[]>, info: DeviceInfo): Target[] {
  return wanted.flatMap((targetsOf) => {
    try {
      return targetsOf(info).flatMap((target) => target.parts());
    } catch {
      return []; // its watcher finds the same reason when it reads the poll, and reports it
    }
  });
}

function readingOf(raw: Record<string, unknown>): MeterReading | KasaError {
  try {
    return { reading: normaliseRealtime(raw), raw };
  } catch (err) {
    return err instanceof KasaError ? err : new KasaError(ErrorCode.PROTOCOL, String(err));
  }
}

function noReading(device: KasaDevice): KasaError {
  return new KasaError(ErrorCode.PROTOCOL, `${device.client.address} answered get_realtime without a reading.`, { device: device.client.address });
}
