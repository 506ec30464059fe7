import { ErrorCode, KasaError } from '../util/errors';
import { MODEL_NAMES, ModelName, modelSpec } from './models';
import { SimulatedDevice } from './server';

export interface FleetOptions {
  count: number;
  /** Models given to the devices in turn; default every model. */
  models?: readonly ModelName[];
  /** Default 127.0.0.1. */
  host?: string;
  /** Answer UDP as well; default false, since a fleet is mostly for load and TCP tests. */
  udp?: boolean;
}

export interface Fleet {
  devices: SimulatedDevice[];
  /** Stops every device. */
  stop(): Promise<void>;
}

/** Most devices a fleet may hold: each costs a listening socket (two with UDP). */
export const MAX_FLEET_SIZE = 5000;

/**
 * Starts `count` simulated devices, each on its own ephemeral TCP port. Device i gets seed i, so
 * ids and MACs differ and stay the same from run to run. If one cannot start, the others are stopped.
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const { count } = options;
  if (!Number.isInteger(count) || count < 1 || count > MAX_FLEET_SIZE) {
    throw new KasaError(ErrorCode.BAD_INPUT, `A fleet holds 1 to ${MAX_FLEET_SIZE} devices, not ${String(count)}.`);
  }
  const models = options.models ?? MODEL_NAMES;
  if (models.length === 0) throw new KasaError(ErrorCode.BAD_INPUT, 'A fleet needs at least one model.');
  models.forEach((model) => modelSpec(model));
  const devices = Array.from(
    { length: count },
    (_unused, index) =>
      new SimulatedDevice({
        model: models[index % models.length]!,
        host: options.host ?? '127.0.0.1',
        port: 0,
        udp: options.udp ?? false,
        seed: index,
      }),
  );
  const stop = async (): Promise<void> => {
    await Promise.all(devices.map((device) => device.stop()));
  };
  const started = await Promise.allSettled(devices.map((device) => device.start()));
  const failure = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) {
    await stop();
    throw failure.reason;
  }
  return { devices, stop };
}
