/**
 * Parent side of one fleet measurement: starts the Node-RED runtime in a child process
 * (fleet-runtime), hands it the devices, and adds what the simulated devices counted during the
 * window (requests answered, connections accepted) to what the runtime measured.
 */
import { ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import type { DeviceHost, HostStats } from './device-host';
import { ContenderName, ENERGY_NODES, Family, Layout, RunRequest, RuntimeMessage, WarmUp, WindowFigures } from './fleet-protocol';

export interface FleetRunOptions {
  contender: ContenderName;
  family: Family;
  /** Tapo: which model of the host's Tapo fleet. */
  tapoModel?: string;
  layout: Layout;
  devices: number;
  intervalSeconds: number;
  warmUp: WarmUp;
  settleSeconds: number;
  seconds: number;
  /** Write a V8 CPU profile of the runtime process into this directory. */
  profileDir?: string;
  /** Options of node and V8 for the runtime process (see --v8-flag). */
  runtimeFlags?: readonly string[];
}

export interface FleetRunResult extends WindowFigures {
  contender: ContenderName;
  family: Family;
  layout: Layout;
  devices: number;
  /** Energy nodes per device: the readings each device's nodes deliver per interval. */
  energyNodes: number;
  /** Readings a fixed one-per-interval schedule of every energy node would make in the window. */
  due: number;
  /** Requests the devices polled answered during the window, as they counted them. */
  deviceRequests: number;
  /** Of those, how many asked system.get_sysinfo and emeter.get_realtime (a combined one counts in both); Kasa only, 0 for Tapo. */
  deviceSysinfo: number;
  deviceRealtime: number;
  /** Connections those devices accepted during the window. */
  deviceConnections: number;
}

/** Startup (loading Node-RED and the flow) plus shutdown may take this long besides the window. */
const SLACK_MS = 90_000;
/** After its last message the child should exit by itself; if not, it is ended and this is said. */
const EXIT_GRACE_MS = 10_000;

export async function runFleet(host: DeviceHost, options: FleetRunOptions): Promise<FleetRunResult> {
  const tapoModel = options.tapoModel ?? 'p110';
  const fleetPorts = options.family === 'kasa' ? host.xorPorts : (host.tapoPorts[tapoModel] ?? []);
  const ports = fleetPorts.slice(0, options.devices);
  if (ports.length < options.devices) throw new Error(`the device host runs ${fleetPorts.length} ${options.family} devices, ${options.devices} needed`);
  const profiling =
    options.profileDir === undefined
      ? []
      : ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=fleet-${options.family}-${options.layout}-${options.contender}-${options.devices}.cpuprofile`];
  const execArgv = [...profiling, ...(options.runtimeFlags ?? [])];
  const child = fork(path.join(__dirname, 'fleet-runtime.js'), [], { execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const totalsOf = (stats: HostStats): { requests: number; connections: number; sysinfo: number; realtime: number } => {
    if (options.family === 'tapo') {
      const offset = host.tapoOffsets[tapoModel] ?? 0;
      const devices = stats.tapo.slice(offset, offset + options.devices);
      return {
        requests: devices.reduce((total, device) => total + device.requests, 0),
        connections: devices.reduce((total, device) => total + device.connections, 0),
        sysinfo: 0,
        realtime: 0,
      };
    }
    const devices = stats.xor.slice(0, options.devices);
    const sum = (count: (device: HostStats['xor'][number]) => number): number => devices.reduce((total, device) => total + count(device), 0);
    return {
      requests: sum((device) => device.requests),
      connections: sum((device) => device.connectionsOpened),
      sysinfo: sum((device) => device.methods['system.get_sysinfo'] ?? 0),
      realtime: sum((device) => device.methods['emeter.get_realtime'] ?? 0),
    };
  };
  let before: Promise<HostStats> | null = null;
  let after: Promise<HostStats> | null = null;

  const figures = await new Promise<WindowFigures>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('the runtime did not finish in time')), SLACK_MS + (options.warmUp.maxSeconds + options.settleSeconds + options.seconds) * 1000);
    function fail(err: Error): void {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`${err.message}${output.trim() === '' ? '' : `\nRuntime output:\n${output.trim()}`}`));
    }
    child.on('message', (message: RuntimeMessage) => {
      if (message.kind === 'window-start') before = host.stats();
      else if (message.kind === 'window-end') after = host.stats();
      else if (message.kind === 'failed') fail(new Error(`the runtime failed: ${message.message}`));
      else if (message.kind === 'result') {
        clearTimeout(timer);
        resolve(message.figures);
      }
    });
    child.once('error', fail);
    child.once('exit', (code, signal) => fail(new Error(`the runtime exited early (code ${String(code)}, signal ${String(signal)})`)));
    const { contender, family, layout, intervalSeconds, warmUp, settleSeconds, seconds } = options;
    const request: RunRequest = { kind: 'run', contender, family, layout, ports, intervalSeconds, warmUp, settleSeconds, seconds };
    child.send(request);
  });
  child.removeAllListeners('exit');
  await exited(child);
  if (before === null || after === null) throw new Error('the runtime reported no window');
  const start = totalsOf(await before);
  const end = totalsOf(await after);
  return {
    ...figures,
    contender: options.contender,
    family: options.family,
    layout: options.layout,
    devices: options.devices,
    energyNodes: ENERGY_NODES[options.layout],
    due: Math.round((options.devices * ENERGY_NODES[options.layout] * figures.seconds) / options.intervalSeconds),
    deviceRequests: end.requests - start.requests,
    deviceSysinfo: end.sysinfo - start.sysinfo,
    deviceRealtime: end.realtime - start.realtime,
    deviceConnections: end.connections - start.connections,
  };
}

/** Waits for the child to exit by itself; one that lingers is ended, and the run says so. */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the runtime process did not exit within ${EXIT_GRACE_MS / 1000} s of finishing: something kept it open`));
    }, EXIT_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
