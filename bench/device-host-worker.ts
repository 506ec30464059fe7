/**
 * Worker-thread entry that hosts the simulated devices for the benchmark: a fleet of HS110s on
 * TCP (and UDP when asked), a KLAP server answering from the first one's state, and a Tapo P110
 * speaking SMART over KLAP v2 (its relay's changes counted). In their own thread they use the
 * machine's other core, as a real plug is a computer of its own, and the clients being measured
 * do not pay for the simulator's work on their event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { KlapServer } from '../src/simulator/klap-server';
import { startFleet } from '../src/simulator';
import { SmartSimulatedDevice } from '../src/simulator/smart/server';
import type { SmartModelName } from '../src/simulator/smart/models';
import type { HostCommand, HostMessage, HostOptions } from './device-host';

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('device-host-worker must run in a worker thread');
  const options = workerData as HostOptions;
  const fleet = await startFleet({ count: options.devices, models: ['hs110'], udp: options.udp ?? false });
  const state = fleet.devices[0]!.state;
  const klap = new KlapServer({
    version: 2,
    bound: false,
    handle: (json) => JSON.stringify(state.handle(JSON.parse(json))),
  });
  await klap.start();
  const smart = new SmartSimulatedDevice({ model: 'p110' });
  await smart.start();
  // Every change of the P110's relay counted, so a switching contender's requests can be seen to switch it.
  const relay = smart.device.relay;
  const smartRelay = { changes: 0 };
  const previous = relay.onChange;
  relay.onChange = (on) => {
    smartRelay.changes++;
    previous?.(on);
  };
  // The Tapo fleet: no discovery responders (the nodes are told KLAP), each on its own port.
  const tapoModels = Object.entries(options.tapo ?? {}) as Array<[SmartModelName, number]>;
  const tapo: SmartSimulatedDevice[] = [];
  const tapoPorts: Record<string, number[]> = {};
  const tapoOffsets: Record<string, number> = {};
  for (const [model, count] of tapoModels) {
    tapoOffsets[model] = tapo.length;
    const devices = Array.from({ length: count }, (_unused, i) => new SmartSimulatedDevice({ model, tdpPort: null, nickname: `fleet ${model} ${i}` }));
    await Promise.all(devices.map((device) => device.start()));
    tapo.push(...devices);
    tapoPorts[model] = devices.map((device) => device.port);
  }
  const send = (message: HostMessage): void => port.postMessage(message);

  const onCommand = (command: HostCommand): void => {
    if (command.kind === 'stats') {
      send({
        kind: 'stats',
        id: command.id,
        xor: fleet.devices.map((device) => device.stats),
        klap: { ...klap.stats },
        smart: { ...smart.klap.stats },
        smartRelay: { on: relay.isOn, changes: smartRelay.changes },
        tapo: tapo.map((device) => ({ ...device.klap.stats })),
      });
      return;
    }
    // Stop: once nothing listens for messages any more, the worker's event loop empties and it exits.
    port.off('message', onCommand);
    Promise.all([fleet.stop(), klap.stop(), smart.stop(), ...tapo.map((device) => device.stop())]).then(
      () => send({ kind: 'stopped' }),
      (err: unknown) => send({ kind: 'failed', message: String(err) }),
    );
  };
  port.on('message', onCommand);
  send({
    kind: 'ready',
    xorPorts: fleet.devices.map((device) => device.port),
    udpPorts: fleet.devices.map((device) => device.udpPort),
    deviceIds: fleet.devices.map((device) => device.state.deviceId),
    klapPort: klap.port,
    smartPort: smart.port,
    smartDeviceId: smart.device.deviceId,
    tapoPorts,
    tapoOffsets,
  });
}

main().catch((err: unknown) => {
  parentPort?.postMessage({ kind: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies HostMessage);
});
