import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import RED = require('node-red');
import type { Node, NodeMessage } from 'node-red';
import { FAULT_KINDS, Fault, FaultKind, ModelName, SimulatedDevice } from '../../src/simulator';
import { KlapServer } from '../../src/simulator/klap-server';
import { SmartDevice } from '../../src/simulator/smart/device';
import type { SmartModelName } from '../../src/simulator/smart/models';
import { TAPO_DEFAULT_PASSWORD, TAPO_DEFAULT_USERNAME } from '../../src/transport/klap/credentials';
import { TddpFault, TddpResponder } from '../../src/simulator/tddp-responder';
import { openReplySocketCount } from '../../src/tddp';
import { allNodes, helper } from '../support/node-red';
import { freeUdpPort } from '../support/ports';
import { openResources, resourcesBackTo, within } from '../support/wait';

/**
 * Fault soak: one Node-RED runtime, every node type against simulated devices that misbehave at
 * random, go away and come back, while the flow is redeployed; every message is accounted for.
 *
 * Beside the Kasa devices, a Tapo P110 and P300 speak SMART over KLAP v2 with their own faults.
 *
 * SOAK_SECONDS (default 40) is how long traffic runs; SOAK_SEED (default random, printed) makes
 * the sequence of messages, faults, restarts and redeploys the same again (the timing of a loaded
 * machine is not, so a rerun retraces the decisions, not every interleaving). SOAK_RATE caps the
 * messages per second (default 250). `node scripts/soak.js` runs it for longer.
 */
const SOAK_SECONDS = positiveNumber(process.env['SOAK_SECONDS'], 40);
const SEED = process.env['SOAK_SEED'] !== undefined && process.env['SOAK_SEED'] !== '' ? Number(process.env['SOAK_SEED']) >>> 0 : randomInt(2 ** 31);
const RATE = positiveNumber(process.env['SOAK_RATE'], 250);
/** Messages a node may have waiting at once: enough to queue behind a fault, not to pile up without end. */
const MAX_IN_FLIGHT_PER_NODE = 6;
/** Device timeout: short, so timeouts from silence and long delays come often. */
const TIMEOUT_MS = 400;
const LONGEST_DELAY_MS = 700;

function positiveNumber(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return text !== undefined && text !== '' && Number.isFinite(n) && n > 0 ? n : fallback;
}

/** mulberry32: a tiny seeded generator, so a failing run can be replayed with its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Draw = () => number;
const pick = <T>(draw: Draw, items: readonly T[]): T => items[Math.floor(draw() * items.length)]!;
const between = (draw: Draw, min: number, max: number): number => min + Math.floor(draw() * (max - min + 1));

/** A message to send and, for inputs the node must refuse without asking any device, the code it must give. */
interface Planned {
  msg: Record<string, unknown>;
  mustFail?: 'BAD_INPUT' | 'NOT_ALLOWED';
}

interface Target {
  id: string;
  node: Record<string, unknown>;
  plan(draw: Draw): Planned;
}

const SWITCH = [true, false, 'on', 'off', 'toggle', 1, 0, 'ON', 'Off'];

function relayPlan(draw: Draw, outlets: readonly unknown[]): Planned {
  const r = draw();
  if (r < 0.02) return { msg: { payload: 'dim to 50%' }, mustFail: 'BAD_INPUT' };
  if (r < 0.04) return { msg: { command: pick(draw, ['reboot', 'reset', 'energy_reset']) }, mustFail: 'NOT_ALLOWED' };
  if (r < 0.05) return { msg: { payload: { system: { get_sysinfo: {} } } }, mustFail: 'NOT_ALLOWED' };
  if (r < 0.15) return { msg: { command: 'info' } };
  const msg: Record<string, unknown> = { payload: pick(draw, SWITCH) };
  if (outlets.length > 0 && draw() < 0.3) msg['outlet'] = pick(draw, outlets);
  return { msg };
}

function energyPlan(draw: Draw): Planned {
  const r = draw();
  if (r < 0.02) return { msg: { command: 'erase' }, mustFail: 'NOT_ALLOWED' };
  if (r < 0.03) return { msg: { command: 'forecast' }, mustFail: 'BAD_INPUT' };
  if (r < 0.1) return { msg: { command: 'daystat' } };
  if (r < 0.13) return { msg: { command: 'monthstat' } };
  return { msg: { payload: Date.now() } };
}

function tddpPlan(draw: Draw): Planned {
  const r = draw();
  if (r < 0.02) return { msg: { subtype: '06', payload: '00:11:22:33:44:55' }, mustFail: 'NOT_ALLOWED' };
  if (r < 0.04) return { msg: { type: 1, payload: 'lan_ip 10.0.0.1' }, mustFail: 'NOT_ALLOWED' };
  if (r < 0.05) return { msg: { subtype: 'zz' }, mustFail: 'BAD_INPUT' };
  return { msg: r < 0.3 ? { subtype: '14' } : {} };
}

const TARGETS: readonly Target[] = [
  { id: 'plug-hs110', node: { type: 'plug-control', device: 'dev-hs110' }, plan: (d) => relayPlan(d, []) },
  { id: 'plug-hs110v2-udp', node: { type: 'plug-control', device: 'dev-hs110v2-udp' }, plan: (d) => relayPlan(d, []) },
  { id: 'outlet-hs300', node: { type: 'strip-outlet', device: 'dev-hs300', outlet: '2' }, plan: (d) => relayPlan(d, [1, 3, 5, '1,2', 'all']) },
  { id: 'outlet-kp303', node: { type: 'strip-outlet', device: 'dev-kp303', outlet: '1' }, plan: (d) => relayPlan(d, [1, 2, 'all']) },
  { id: 'energy-hs110', node: { type: 'plug-energy', device: 'dev-hs110' }, plan: energyPlan },
  { id: 'energy-hs110v2', node: { type: 'plug-energy', device: 'dev-hs110v2', output: 'reading' }, plan: energyPlan },
  { id: 'energy-hs300', node: { type: 'plug-energy', device: 'dev-hs300', outlet: '1,3' }, plan: energyPlan },
  { id: 'plug-p110', node: { type: 'plug-control', device: 'dev-p110' }, plan: (d) => relayPlan(d, []) },
  { id: 'energy-p110', node: { type: 'plug-energy', device: 'dev-p110' }, plan: energyPlan },
  { id: 'outlet-p300', node: { type: 'strip-outlet', device: 'dev-p300', outlet: '2' }, plan: (d) => relayPlan(d, [1, 3, '1,2', 'all']) },
  { id: 'tddp-0a', node: { type: 'tddp-query', device: 'dev-tddp', tddpType: 3, subtype: '0a', output: 'string' }, plan: tddpPlan },
  { id: 'tddp-12', node: { type: 'tddp-query', device: 'dev-tddp', tddpType: 3, subtype: '12', output: 'buffer' }, plan: tddpPlan },
];
const TARGET_IDS = new Set(TARGETS.map((t) => t.id));
const SMART_TARGET_IDS = new Set(['plug-p110', 'energy-p110', 'outlet-p300']);

const MODELS: readonly ModelName[] = ['hs110', 'hs110v2', 'hs300', 'kp303'];
const SMART_MODELS: readonly SmartModelName[] = ['p110', 'p300'];
/** Faults of the SMART devices; 403 mid-session comes from `invalidateAfter` and from restarts. */
const SMART_FAULTS = ['session-9999', 'session-1001', 'slow', 'drop-replies', 'refuse-batches', 'batch-stops-at-error'] as const;
type SmartFault = (typeof SMART_FAULTS)[number];
/** Each SMART device drops its sessions after this many requests: the next one gets HTTP 403. */
const INVALIDATE_AFTER: Partial<Record<SmartModelName, number>> = { p110: 23, p110m: 23, p300: 37, p304m: 37, kp125m: 23 };

/**
 * A simulated SMART device over KLAP v2 whose commands are counted where they arrive, and which
 * can be unplugged and plugged in again on the same port with the same state (a new KlapServer:
 * every session it knew is gone, so the client meets a 403 first).
 */
class SoakSmartDevice {
  readonly device: SmartDevice;
  /** set_device_info requests that reached the device, alone, in a batch or through control_child. */
  commands = 0;
  /** 403s answered by the KlapServers this device had so far. */
  forbiddenBefore = 0;
  klap: KlapServer;
  port = 0;

  constructor(readonly model: SmartModelName) {
    this.device = new SmartDevice({ model, nickname: `soak ${model}` });
    this.klap = this.newServer();
  }

  get forbidden(): number {
    return this.forbiddenBefore + this.klap.stats.forbidden;
  }

  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        this.port = await this.klap.start();
        return;
      } catch (err) {
        if (attempt >= 50) throw err;
        this.klap = this.newServer(); // the port was grabbed meanwhile by some other socket
        await sleep(20);
      }
    }
  }

  async stop(): Promise<void> {
    await this.klap.stop();
    this.forbiddenBefore += this.klap.stats.forbidden;
    this.klap = this.newServer();
  }

  clearFaults(): void {
    this.device.clearFaults();
    this.klap.replyDelayMs = 0;
    this.klap.dropNextReplies(0);
  }

  private newServer(): KlapServer {
    return new KlapServer({
      port: this.port,
      version: 2,
      bound: false,
      defaultCredentials: { username: TAPO_DEFAULT_USERNAME, password: TAPO_DEFAULT_PASSWORD },
      invalidateAfter: INVALIDATE_AFTER[this.model] ?? 23,
      handle: (json) => {
        this.commands += setDeviceInfos(json);
        return this.device.handle(json);
      },
    });
  }
}

/** set_device_info requests in a SMART request text: alone, in a multipleRequest, or in control_child. */
function setDeviceInfos(json: string): number {
  const count = (request: unknown): number => {
    if (typeof request !== 'object' || request === null) return 0;
    const { method, params } = request as { method?: unknown; params?: { requests?: unknown; requestData?: unknown } };
    if (method === 'set_device_info') return 1;
    if (method === 'multipleRequest' && Array.isArray(params?.requests)) return params.requests.reduce((sum: number, r) => sum + count(r), 0);
    if (method === 'control_child') return count(params?.requestData);
    return 0;
  };
  try {
    return count(JSON.parse(json));
  } catch {
    return 0;
  }
}

/** How many set_device_info a message may cause at most: one per outlet it switches, none for other commands. */
function commandsAllowed(target: Target, msg: Record<string, unknown>): number {
  if (msg['command'] !== undefined || typeof msg['payload'] === 'object' || !SWITCH.includes(msg['payload'] as never)) return 0;
  if (target.node['type'] === 'plug-energy') return 0;
  const outlet = msg['outlet'] ?? target.node['outlet'];
  if (outlet === 'all') return 3;
  return typeof outlet === 'string' ? outlet.split(',').length : 1;
}

interface Rig {
  sims: Record<string, SimulatedDevice>;
  smart: Record<string, SoakSmartDevice>;
  responder: TddpResponder;
  replyPort: number;
}

/** The flow; `variant` changes the device timeouts a little, so a "modified nodes" deploy has something to restart. */
function soakFlow(rig: Rig, variant: number): Record<string, unknown>[] {
  const timeout = TIMEOUT_MS + (variant % 2) * 50;
  const device = (id: string, model: string, extra: Record<string, unknown> = {}) => ({
    id,
    type: 'tplink-device',
    // Not the id as name: Node-RED takes a config node property equal to a config node id for a reference.
    name: `soak ${model}`,
    host: '127.0.0.1',
    port: rig.sims[model]!.port,
    timeout,
    transport: 'tcp',
    tddpPort: 1040,
    tddpReplyPort: rig.replyPort,
    ...extra,
  });
  const flow: Record<string, unknown>[] = [
    { id: 'soak', type: 'tab', label: 'soak' },
    device('dev-hs110', 'hs110'),
    device('dev-hs110v2', 'hs110v2'),
    device('dev-hs110v2-udp', 'hs110v2', { transport: 'udp' }),
    device('dev-hs300', 'hs300'),
    device('dev-kp303', 'kp303'),
    device('dev-tddp', 'hs110', { tddpPort: rig.responder.port }),
    // The SMART devices over KLAP: the family is found out on first use, after every restart of the config node.
    { ...device('dev-p110', 'hs110'), name: 'soak p110', transport: 'klap', klapPort: rig.smart['p110']!.port },
    { ...device('dev-p300', 'hs110'), name: 'soak p300', transport: 'klap', klapPort: rig.smart['p300']!.port },
    { id: 'catch-all', z: 'soak', x: 100, y: 900, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'soak', x: 300, y: 900, type: 'helper', wires: [] },
    // Nodes that poll on their own share the devices' queues with the messages; their outputs are only counted.
    { id: 'watch-out', z: 'soak', x: 300, y: 800, type: 'helper', wires: [] },
    { id: 'watch-kp303', z: 'soak', x: 100, y: 800, type: 'strip-outlet', device: 'dev-kp303', outlet: 'all', pollInterval: 0.25, wires: [['watch-out']] },
    { id: 'poll-energy-hs110', z: 'soak', x: 100, y: 850, type: 'plug-energy', device: 'dev-hs110', interval: 0.3, wires: [['watch-out']] },
    { id: 'watch-p300', z: 'soak', x: 100, y: 750, type: 'strip-outlet', device: 'dev-p300', outlet: 'all', pollInterval: 0.3, wires: [['watch-out']] },
  ];
  TARGETS.forEach((target, i) => {
    flow.push({ id: target.id, z: 'soak', x: 100, y: 60 * (i + 1), name: target.id, wires: [[`out-${target.id}`]], ...target.node });
    flow.push({ id: `out-${target.id}`, z: 'soak', x: 300, y: 60 * (i + 1), type: 'helper', wires: [] });
  });
  return flow;
}

type Code = string;
interface Entry {
  node: string;
  mustFail?: Planned['mustFail'];
  /** done() calls and the error code given, if any. */
  completions: number;
  error?: Code;
  /** node.send() calls of the node under test carrying this message. */
  sends: number;
  /** What reached the wired helper node and the Catch node. */
  outputs: number;
  caught: number;
  caughtCode?: Code;
  caughtSource?: string;
  /** The redeploy (its index) that closed the flow while this message was in flight. */
  redeploy?: number;
}

/** Every message by its id: what the node did with it (runtime hooks) and what the flow saw. */
class Ledger {
  readonly entries = new Map<number, Entry>();
  readonly inFlight = new Map<string, number>();
  readonly errorsByCode = new Map<Code, number>();
  /** INTERNAL (or uncoded) errors, with their messages. */
  readonly faultsOfOurs: string[] = [];
  /** The first message of each error code a SMART node gave, for the summary. */
  readonly smartExamples = new Map<Code, string>();
  unsolicitedErrors = 0;
  watcherOutputs = 0;
  private outstanding = 0;
  private drained: (() => void) | null = null;
  private readonly listening = new WeakSet<Node>();

  sent(id: number, node: string, mustFail: Planned['mustFail']): void {
    this.entries.set(id, { node, ...(mustFail ? { mustFail } : {}), completions: 0, sends: 0, outputs: 0, caught: 0 });
    this.inFlight.set(node, (this.inFlight.get(node) ?? 0) + 1);
    this.outstanding++;
  }

  completed(id: number, nodeId: string, error: Error | undefined): void {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.node !== nodeId) return;
    entry.completions++;
    if (error !== undefined) {
      entry.error = String((error as { code?: unknown }).code ?? 'NO_CODE');
      this.errorsByCode.set(entry.error, (this.errorsByCode.get(entry.error) ?? 0) + 1);
      // A fault of the package itself: no input and no reply may lead there.
      if (entry.error === 'INTERNAL' || entry.error === 'NO_CODE') this.faultsOfOurs.push(`${nodeId}: ${error.message}`);
      if (SMART_TARGET_IDS.has(nodeId) && !this.smartExamples.has(entry.error)) this.smartExamples.set(entry.error, error.message);
    }
    if (entry.completions === 1) {
      this.inFlight.set(nodeId, this.inFlight.get(nodeId)! - 1);
      this.outstanding--;
      if (this.outstanding === 0) this.drained?.();
    }
  }

  sentByNode(id: number, nodeId: string): void {
    const entry = this.entries.get(id);
    if (entry !== undefined && entry.node === nodeId) entry.sends++;
  }

  /** Marks what is in flight now as caught by redeploy number `index`. */
  markInFlight(index: number): void {
    for (const entry of this.entries.values()) {
      if (entry.completions === 0) entry.redeploy = index;
    }
  }

  /** Resolves when every message sent so far has been done(). */
  allDone(ms: number): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return within(new Promise<void>((resolve) => (this.drained = resolve)), ms, `${this.outstanding} messages to be done()`).finally(() => {
      this.drained = null;
    });
  }

  get pending(): number {
    return this.outstanding;
  }

  /** Listens to the helper and Catch nodes of the flow now deployed (new objects after a full redeploy). */
  listen(): void {
    for (const target of TARGETS) {
      this.once(`out-${target.id}`, (msg) => {
        const entry = this.entryOf(msg);
        if (entry !== undefined) entry.outputs++;
      });
    }
    this.once('caught', (msg) => {
      const entry = this.entryOf(msg);
      if (entry === undefined) {
        this.unsolicitedErrors++;
        return;
      }
      const error = msg['error'] as { code?: string; source?: { id?: string } } | undefined;
      entry.caught++;
      entry.caughtCode = error?.code ?? 'NO_CODE';
      entry.caughtSource = error?.source?.id ?? '';
    });
    this.once('watch-out', () => this.watcherOutputs++);
  }

  private once(id: string, onMessage: (msg: Record<string, unknown>) => void): void {
    const node = helper.getNode(id);
    assert.ok(node, `node ${id} is deployed`);
    if (this.listening.has(node)) return;
    this.listening.add(node);
    node.on('input', (msg: NodeMessage) => onMessage(msg as Record<string, unknown>));
  }

  private entryOf(msg: Record<string, unknown>): Entry | undefined {
    return typeof msg['soakId'] === 'number' ? this.entries.get(msg['soakId']) : undefined;
  }
}

interface CompleteEvent {
  msg: Record<string, unknown>;
  node: { id: string };
  error?: Error;
}
interface SendEvent {
  msg: Record<string, unknown>;
  source: { id: string };
}

describe('fault soak: every node, every fault, restarts and redeploys, in one Node-RED runtime', () => {
  const rig: Rig = { sims: {}, smart: {}, responder: undefined as unknown as TddpResponder, replyPort: 0 };

  before(async () => {
    for (const model of MODELS) {
      // The UDP plug node is given the TCP port: the device must answer UDP on the same number.
      rig.sims[model] = await startOnSamePorts(new SimulatedDevice({ model, alias: `soak ${model}` }));
    }
    for (const model of SMART_MODELS) {
      rig.smart[model] = new SoakSmartDevice(model);
      await rig.smart[model].start();
    }
    rig.replyPort = await freeUdpPort();
    rig.responder = new TddpResponder({ profile: 'hs110', replyTo: 'reply-port', replyPort: rig.replyPort });
    await rig.responder.start();
  });
  after(async () => {
    RED.hooks.remove('*.soak');
    await helper.unload();
    for (const sim of Object.values(rig.sims)) await sim.stop();
    for (const sim of Object.values(rig.smart)) await sim.stop();
    await rig.responder.stop();
  });

  it(`accounts for every message (${SOAK_SECONDS} s, seed ${SEED})`, { timeout: (SOAK_SECONDS + 45) * 1000 }, async () => {
    console.log(`soak: seed ${SEED}, ${SOAK_SECONDS} s, at most ${RATE} messages/s (rerun with SOAK_SEED=${SEED})`);
    const say = (what: string) => `${what} (seed ${SEED})`;
    const draw = seededRandom(SEED);

    // A first deploy and unload, so the baseline holds what the runtime keeps for good, not a leak.
    await helper.load(allNodes, soakFlow(rig, 0));
    await helper.unload();
    const baseline = openResources();
    assert.equal(openReplySocketCount(), 0);

    const ledger = new Ledger();
    RED.hooks.add('onComplete.soak', (event: CompleteEvent) => {
      if (TARGET_IDS.has(event.node.id) && typeof event.msg['soakId'] === 'number') ledger.completed(event.msg['soakId'], event.node.id, event.error);
    });
    RED.hooks.add('onSend.soak', (events: SendEvent[]) => {
      for (const event of events) {
        if (TARGET_IDS.has(event.source.id) && typeof event.msg['soakId'] === 'number') ledger.sentByNode(event.msg['soakId'], event.source.id);
      }
    });

    let variant = 0;
    await helper.load(allNodes, soakFlow(rig, variant));
    ledger.listen();

    const faults = new Map<string, number>();
    const count = (key: string) => faults.set(key, (faults.get(key) ?? 0) + 1);
    const faultOrder = [...FAULT_KINDS].sort(() => draw() - 0.5); // every kind early, then at random
    let restarts = 0;
    const redeploys: string[] = [];
    const down = new Set<string>();
    const restarting = new Set<Promise<void>>();
    let tddpClearAt = 0;

    const smartOrder = [...SMART_FAULTS].sort(() => draw() - 0.5);
    const smartClearAt = new Map<string, number>();
    /** One SMART fault on one SMART device; slow replies and batch faults last a while, then clear. */
    const smartChaos = (now: number): void => {
      for (const [model, at] of smartClearAt) {
        if (now < at) continue;
        rig.smart[model]!.clearFaults();
        smartClearAt.delete(model);
      }
      const r = draw();
      const model = pick(draw, SMART_MODELS);
      const sim = rig.smart[model]!;
      if (r < 0.9) {
        const kind: SmartFault = smartOrder.shift() ?? pick(draw, SMART_FAULTS);
        if (kind === 'session-9999') sim.device.failSessionNext(between(draw, 1, 2), 9999);
        else if (kind === 'session-1001') sim.device.failSessionNext(between(draw, 1, 2), -1001);
        else if (kind === 'drop-replies') sim.klap.dropNextReplies(between(draw, 1, 2));
        else {
          if (kind === 'slow') sim.klap.replyDelayMs = between(draw, 20, LONGEST_DELAY_MS);
          else if (kind === 'refuse-batches') sim.device.refuseBatches = -1003;
          else sim.device.batchStopsAtError = true;
          smartClearAt.set(model, now + between(draw, 100, 600));
        }
        count(`smart:${kind}`);
      } else {
        const key = `smart-${model}`;
        if (down.has(key)) return;
        const awayMs = between(draw, 50, 600);
        down.add(key);
        restarts++;
        const run = (async () => {
          await sim.stop();
          await sleep(awayMs);
          await sim.start();
          down.delete(key);
        })();
        restarting.add(run);
        run.then(() => restarting.delete(run), () => undefined);
      }
    };

    const faultFor = (kind: FaultKind): Fault => {
      if (kind === 'delay') return { kind, ms: between(draw, 20, LONGEST_DELAY_MS) };
      if (kind === 'err-code') return { kind, code: pick(draw, [-1, -3, -10]) };
      return { kind } as Fault;
    };
    const chaos = (now: number): void => {
      if (tddpClearAt !== 0 && now >= tddpClearAt) {
        rig.responder.clearFaults();
        tddpClearAt = 0;
      }
      const r = draw();
      if (r < 0.55) {
        const kind = faultOrder.shift() ?? pick(draw, FAULT_KINDS);
        const model = pick(draw, MODELS);
        rig.sims[model]!.injectFault(faultFor(kind), { times: between(draw, 1, 3) });
        count(kind);
      } else if (r < 0.75) {
        if (tddpClearAt !== 0) return;
        const fault: TddpFault = pick(draw, [{ kind: 'wrong-credentials' }, { kind: 'bad-digest' }, { kind: 'silence' }, { kind: 'error-status', status: between(draw, 1, 9) }] as TddpFault[]);
        rig.responder.injectFault(fault);
        tddpClearAt = now + between(draw, 100, 500);
        count(`tddp:${fault.kind}`);
      } else if (r < 0.9) {
        const model = pick(draw, MODELS);
        if (down.has(model)) return;
        const sim = rig.sims[model]!;
        const awayMs = between(draw, 50, 600);
        down.add(model);
        restarts++;
        const run = (async () => {
          await sim.stop();
          await sleep(awayMs); // the plug is unplugged for a while
          await startOnSamePorts(sim);
          down.delete(model);
        })();
        restarting.add(run);
        // A failure surfaces where the restarts are awaited; this branch only forgets the finished ones.
        run.then(() => restarting.delete(run), () => undefined);
      }
    };

    /** set_device_info each SMART device may have received at most: one per outlet of each switching message. */
    const commandBudget = new Map<string, number>();
    const budget = (target: Target, msg: Record<string, unknown>): void => {
      const device = String(target.node['device']);
      commandBudget.set(device, (commandBudget.get(device) ?? 0) + commandsAllowed(target, msg));
    };

    let nextId = 1;
    /** Sends the next planned message to `target`, unless it has enough waiting already. */
    const sendOne = (target: Target): void => {
      if ((ledger.inFlight.get(target.id) ?? 0) >= MAX_IN_FLIGHT_PER_NODE) return;
      const planned = target.plan(draw);
      const id = nextId++;
      ledger.sent(id, target.id, planned.mustFail);
      budget(target, planned.msg);
      (helper.getNode(target.id) as Node & { receive(msg: Record<string, unknown>): void }).receive({ ...planned.msg, soakId: id, topic: `soak ${id}` });
    };

    const redeploy = async (): Promise<void> => {
      // The redeploy must meet requests in flight: every device answers its next ones late, and
      // every node gets its fill of messages just before the flow closes.
      for (const sim of Object.values(rig.sims)) sim.injectFault({ kind: 'delay', ms: 300 }, { times: 2 });
      for (const sim of Object.values(rig.smart)) sim.klap.replyDelayMs = 300;
      for (const model of SMART_MODELS) smartClearAt.set(model, Date.now() + 300);
      rig.responder.injectFault('silence');
      tddpClearAt = Date.now() + 300;
      count('delay');
      count('tddp:silence');
      for (const target of TARGETS) for (let i = 0; i < MAX_IN_FLIGHT_PER_NODE; i++) sendOne(target);
      // Sending pauses; what is in flight stays in flight and meets the closing nodes.
      ledger.markInFlight(redeploys.length);
      // Messages already done are delivered before anything closes (delivery is one setImmediate away).
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      const full = redeploys.length % 2 === 0;
      variant++;
      if (full) await helper.setFlows(soakFlow(rig, variant), 'full');
      else await helper.setFlows(soakFlow(rig, variant), 'nodes');
      redeploys.push(full ? 'full' : 'modified nodes');
      ledger.listen();
    };

    const rssAtStart = process.memoryUsage().rss;
    const memory = memorySampler();
    const started = Date.now();
    const end = started + SOAK_SECONDS * 1000;
    const redeployCount = Math.max(2, Math.floor(SOAK_SECONDS / 15));
    const redeployAt = Array.from({ length: redeployCount }, (_unused, i) => started + ((i + 1) * SOAK_SECONDS * 1000) / (redeployCount + 1));
    let nextChaos = started + between(draw, 100, 300);
    let nextHistoryReset = started + 1000;
    const tick = 10;
    const perTick = Math.max(1, Math.round((RATE * tick) / 1000));

    while (Date.now() < end) {
      const now = Date.now();
      if (redeployAt.length > 0 && now >= redeployAt[0]!) {
        redeployAt.shift();
        await redeploy();
      }
      if (now >= nextChaos) {
        chaos(now);
        smartChaos(now);
        nextChaos = now + between(draw, 100, 400);
      }
      for (let i = 0; i < perTick; i++) sendOne(pick(draw, TARGETS));
      if (now >= nextHistoryReset) {
        forgetHelperHistory();
        nextHistoryReset = now + 1000;
      }
      if (memory !== null && now >= memory.next) {
        memory.next = now + memory.everyMs;
        memory.sample(`${((now - started) / 1000).toFixed(0)} s, ledger ${ledger.entries.size} messages`);
      }
      await sleep(tick);
    }
    const sendingMs = Date.now() - started;

    // Calm: faults off, every device back; everything sent must be done within a bounded time.
    for (const sim of Object.values(rig.sims)) sim.clearFaults();
    rig.responder.clearFaults();
    await within(Promise.all([...restarting]), 5000, 'devices to come back');
    for (const sim of Object.values(rig.smart)) sim.clearFaults();
    await ledger.allDone(15_000).catch((err: Error) => {
      const stuck = [...ledger.entries].filter(([, e]) => e.completions === 0).slice(0, 10);
      throw new Error(say(`${err.message}; first stuck: ${JSON.stringify(stuck)}`));
    });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));

    // The runtime is alive: one more message per node goes all the way to its output.
    // A late reply still on its way from a delay fault may spoil one exchange, so each node gets three tries.
    const finalTries = new Map<string, number>();
    for (const target of TARGETS) {
      const final: Record<string, unknown> = target.node['type'] === 'tddp-query' ? {} : target.node['type'] === 'plug-energy' ? {} : { payload: 'toggle' };
      let delivered = false;
      for (let attempt = 1; attempt <= 3 && !delivered; attempt++) {
        const id = nextId++;
        ledger.sent(id, target.id, undefined);
        budget(target, final);
        (helper.getNode(target.id) as Node & { receive(msg: Record<string, unknown>): void }).receive({ ...final, soakId: id });
        await ledger.allDone(5000);
        await new Promise((resolve) => setImmediate(resolve));
        const entry = ledger.entries.get(id)!;
        delivered = entry.error === undefined && entry.outputs === 1;
        finalTries.set(target.id, attempt);
      }
      assert.ok(delivered, say(`${target.id} answers a final message once the devices behave`));
    }

    // The accounting, per message.
    let outputs = 0;
    let caught = 0;
    /** Per redeploy: messages in flight, and of those how many still reached the helper or Catch node. */
    const atRedeploy = redeploys.map((kind) => ({ kind, inFlight: 0, reached: 0, codes: new Set<string>() }));
    for (const [id, e] of ledger.entries) {
      const what = say(`message ${id} to ${e.node}: ${JSON.stringify(e)}`);
      // The node: exactly one done() for every message, redeploy or not, and an output only on success.
      assert.equal(e.completions, 1, what);
      assert.equal(e.sends, e.error === undefined ? 1 : 0, what);
      if (e.mustFail !== undefined) assert.equal(e.error, e.mustFail, what);
      // The flow: never a duplicate; nothing lost unless a redeploy closed the flow under it.
      assert.ok(e.outputs + e.caught <= 1, what);
      if (e.caught === 1) {
        assert.equal(e.caughtCode, e.error, what);
        assert.equal(e.caughtSource, e.node, what);
      }
      if (e.redeploy !== undefined) {
        const at = atRedeploy[e.redeploy]!;
        at.inFlight++;
        at.reached += e.outputs + e.caught;
        at.codes.add(e.error ?? 'ok');
      } else {
        assert.equal(e.outputs, e.error === undefined ? 1 : 0, what);
        assert.equal(e.caught, e.error === undefined ? 0 : 1, what);
      }
      outputs += e.outputs;
      caught += e.caught;
    }
    for (const kind of FAULT_KINDS) assert.ok((faults.get(kind) ?? 0) > 0, say(`fault ${kind} was injected`));
    for (const kind of SMART_FAULTS) assert.ok((faults.get(`smart:${kind}`) ?? 0) > 0, say(`SMART fault ${kind} was injected`));
    for (const sim of Object.values(rig.smart)) {
      assert.ok(sim.forbidden > 0, say(`${sim.model} answered 403 mid-session`));
      // A command is never sent twice: what reached the device is at most one per outlet switched.
      const allowed = commandBudget.get(`dev-${sim.model}`) ?? 0;
      assert.ok(sim.commands <= allowed, say(`${sim.model}: ${sim.commands} set_device_info reached the device, at most ${allowed} were asked for`));
    }
    assert.deepEqual(ledger.faultsOfOurs, [], say('no error blames the package (INTERNAL)'));

    await helper.unload();
    RED.hooks.remove('*.soak');
    await resourcesBackTo(baseline, 5000);
    assert.equal(openReplySocketCount(), 0, say('the TDDP reply socket is closed'));

    const smartErrors = new Map<string, number>();
    for (const e of ledger.entries.values()) {
      if (SMART_TARGET_IDS.has(e.node) && e.error !== undefined) smartErrors.set(e.error, (smartErrors.get(e.error) ?? 0) + 1);
    }
    const smartMessages = [...ledger.entries.values()].filter((e) => SMART_TARGET_IDS.has(e.node)).length;
    const errors = [...ledger.errorsByCode].sort(([a], [b]) => a.localeCompare(b)).map(([code, n]) => `${code} ${n}`);
    const injected = [...faults].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `${kind} ${n}`);
    console.log(
      `soak summary: seed ${SEED}; ${(sendingMs / 1000).toFixed(1)} s; ${ledger.entries.size} messages sent, ${outputs} outputs, ${caught} caught errors; ` +
        `errors by code: ${errors.join(', ')}; faults injected: ${injected.join(', ')}; device restarts ${restarts}; ` +
        `redeploys: ${redeployReport(atRedeploy)}; ` +
        `SMART: ${smartMessages} messages, errors ${[...smartErrors].sort(([a], [b]) => a.localeCompare(b)).map(([code, n]) => `${code} ${n}`).join(', ')}; ` +
        `${Object.values(rig.smart).map((sim) => `${sim.model} ${sim.commands} commands of ${commandBudget.get(`dev-${sim.model}`) ?? 0} allowed, ${sim.forbidden} 403s`).join(', ')}; ` +
        `SMART error examples: ${[...ledger.smartExamples].map(([code, text]) => `${code}: ${text}`).join(' | ')}; ` +
        `watcher outputs ${ledger.watcherOutputs}, watcher errors ${ledger.unsolicitedErrors}; final message tries ${Math.max(...finalTries.values())} at most; ` +
        `rss ${(rssAtStart / 2 ** 20).toFixed(0)} -> ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
    );
  });
});

/**
 * SOAK_MEMORY=<seconds>: prints the heap after full collections, and the RSS, that often, to tell
 * what grows (the ledger of every message, the runtime, or memory V8 keeps without using it).
 */
function memorySampler(): { next: number; everyMs: number; sample(label: string): void } | null {
  const every = positiveNumber(process.env['SOAK_MEMORY'], 0);
  if (every === 0) return null;
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return {
    next: Date.now(),
    everyMs: every * 1000,
    sample(label: string): void {
      const before = process.memoryUsage();
      gc();
      const after = process.memoryUsage();
      const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
      console.log(
        `soak memory ${label}: rss ${mib(before.rss)} MiB (after GC ${mib(after.rss)}), heap used ${mib(before.heapUsed)} -> ${mib(after.heapUsed)} MiB after GC ` +
          `of ${mib(after.heapTotal)} MiB total, external ${mib(after.external)} MiB`,
      );
    },
  };
}

/** Redeploys summed by kind: messages in flight, their outcomes, and how many still reached the flow. */
function redeployReport(atRedeploy: ReadonlyArray<{ kind: string; inFlight: number; reached: number; codes: Set<string> }>): string {
  const byKind = new Map<string, { count: number; inFlight: number; reached: number; codes: Set<string> }>();
  for (const r of atRedeploy) {
    const sum = byKind.get(r.kind) ?? { count: 0, inFlight: 0, reached: 0, codes: new Set<string>() };
    sum.count++;
    sum.inFlight += r.inFlight;
    sum.reached += r.reached;
    r.codes.forEach((code) => sum.codes.add(code));
    byKind.set(r.kind, sum);
  }
  return [...byKind]
    .map(([kind, s]) => `${s.count} ${kind}, ${s.inFlight} messages in flight (${[...s.codes].sort().join('/')}), ${s.reached} of them reached the flow`)
    .join('; ');
}

/**
 * The test helper records every call of send/error/status/log in sinon spies for its whole life:
 * 2000 messages hold ~15 MB. Forgetting them keeps a long soak's memory about this package.
 */
function forgetHelperHistory(): void {
  (helper as unknown as { _sandbox?: { resetHistory(): void } })._sandbox?.resetHistory();
}

/** start() on the device's own ports again; a port grabbed meanwhile by some other socket is retried, boundedly. */
async function startOnSamePorts(sim: SimulatedDevice): Promise<SimulatedDevice> {
  for (let attempt = 1; ; attempt++) {
    try {
      await sim.start();
      if (sim.udpPort === sim.port) return sim;
      await sim.stop(); // UDP fell back to another port: the UDP node would ask the wrong one
    } catch (err) {
      if (attempt >= 50) throw err;
    }
    if (attempt >= 50) throw new Error(`${sim.model} simulator cannot get TCP and UDP port ${sim.port} back`);
    await sleep(20);
  }
}
