import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import type { Node, NodeMessage } from 'node-red';
import { within } from './wait';

helper.init(require.resolve('node-red'));

export { helper };

import tplinkDevice = require('../../nodes/tplink-device');
import plugControl = require('../../nodes/plug-control');
import lightControl = require('../../nodes/light-control');
import stripOutlet = require('../../nodes/strip-outlet');
import plugEnergy = require('../../nodes/plug-energy');
import tddpQuery = require('../../nodes/tddp-query');
import hubSensor = require('../../nodes/hub-sensor');

export const nodeModules = { tplinkDevice, plugControl, lightControl, stripOutlet, plugEnergy, tddpQuery, hubSensor };

/** Node-RED's own Catch node, so errors are checked as a flow author would see them. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain JS file without types
const catchNode = require('@node-red/nodes/core/common/25-catch.js');
/** Node-RED's Complete node: it sees every done() of the node under test, so a second one shows. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain JS file without types
const completeNode = require('@node-red/nodes/core/common/24-complete.js');

export const allNodes = [...Object.values(nodeModules), catchNode, completeNode];

/** A flow: the config node `dev`, the node under test `n1` wired to helper `out`, and a catch node wired to `caught`. */
export function flowWith(node: Record<string, unknown>, device: Record<string, unknown>): Record<string, unknown>[] {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    { id: 'dev', type: 'tplink-device', name: 'test device', timeout: 800, transport: 'tcp', tddpPort: 1040, tddpReplyPort: 61000, ...device },
    // Flow nodes need x/y: without them Node-RED takes a node for a config node.
    { id: 'n1', z: 'f1', x: 100, y: 100, device: 'dev', wires: [['out']], ...node },
    { id: 'out', z: 'f1', x: 300, y: 100, type: 'helper', wires: [] },
    { id: 'catch', z: 'f1', x: 100, y: 200, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', x: 300, y: 200, type: 'helper', wires: [] },
    { id: 'complete', z: 'f1', x: 100, y: 300, type: 'complete', scope: ['n1'], uncaught: false, wires: [['completed']] },
    { id: 'completed', z: 'f1', x: 300, y: 300, type: 'helper', wires: [] },
  ];
}

/** Collects what a helper node receives; `next()` waits (bounded) for the next message. */
export class Inbox {
  private readonly queue: NodeMessage[] = [];
  private waiters: Array<(msg: NodeMessage) => void> = [];

  /** Every message ever received, also those already taken with next(). */
  readonly seen: NodeMessage[] = [];

  constructor(node: Node) {
    node.on('input', (msg: NodeMessage) => {
      this.seen.push(msg);
      const waiter = this.waiters.shift();
      if (waiter) waiter(msg);
      else this.queue.push(msg);
    });
  }

  get size(): number {
    return this.queue.length;
  }

  next(ms = 4000): Promise<NodeMessage & Record<string, unknown>> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued as NodeMessage & Record<string, unknown>);
    return within(new Promise((resolve) => this.waiters.push(resolve as (msg: NodeMessage) => void)), ms, 'a message');
  }

  /** True when nothing arrives for `ms` (for "exactly once" checks after the expected messages). */
  async quietFor(ms: number): Promise<boolean> {
    if (this.queue.length > 0) return false;
    return await new Promise((resolve) => {
      const waiter = (msg: NodeMessage) => {
        clearTimeout(timer);
        this.queue.unshift(msg);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(true);
      }, ms);
      this.waiters.push(waiter);
    });
  }
}

/** A flow node whose inputs are counted, so unloadChecked can check each one ended once. */
export type TrackedNode = Node & { receive(msg: Record<string, unknown>): void };

/** What unloadChecked counts: the inputs given to tracked nodes, and the Complete and Catch nodes' messages. */
interface Tracking {
  caught: Inbox;
  /** What the Complete node saw (present when the flow has one, as flowWith's flows do). */
  completed: Inbox | null;
  /** _msgid of every message given to a tracked node's `receive`. */
  inputs: string[];
}

export interface Loaded extends Tracking {
  node: TrackedNode;
  out: Inbox;
}

let lastLoaded: Tracking | null = null;
let inputCount = 0;

/** Gives every input of `node` an id of its own, so its endings (done, Catch) can be counted. */
function track(node: TrackedNode, tracking: Tracking): TrackedNode {
  const receive = node.receive.bind(node);
  node.receive = (msg: Record<string, unknown>) => {
    const id = typeof msg['_msgid'] === 'string' ? msg['_msgid'] : `input-${++inputCount}`;
    tracking.inputs.push(id);
    receive({ ...msg, _msgid: id });
  };
  return node;
}

export async function load(flow: Record<string, unknown>[], credentials: Record<string, unknown> = {}): Promise<Loaded> {
  await helper.load(allNodes, flow, credentials);
  const completedNode = helper.getNode('completed');
  const tracking: Tracking = {
    caught: new Inbox(helper.getNode('caught')),
    completed: completedNode === null ? null : new Inbox(completedNode),
    inputs: [],
  };
  const loaded: Loaded = { ...tracking, node: track(helper.getNode('n1') as TrackedNode, tracking), out: new Inbox(helper.getNode('out')) };
  lastLoaded = loaded;
  return loaded;
}

/**
 * Loads a flow of several nodes under test (a saved flow): each id in `ids` is tracked as `n1` is
 * in load(). The flow brings its own Catch node wired to a helper `caught` and a Complete node
 * (scope: those ids) wired to a helper `completed`; each node's output is the caller's to read.
 */
export async function loadTracked(
  flow: Record<string, unknown>[],
  credentials: Record<string, unknown>,
  ids: readonly string[],
): Promise<Tracking & { nodes: Map<string, TrackedNode> }> {
  await helper.load(allNodes, flow, credentials);
  const completedNode = helper.getNode('completed');
  const tracking: Tracking = {
    caught: new Inbox(helper.getNode('caught')),
    completed: completedNode === null ? null : new Inbox(completedNode),
    inputs: [],
  };
  const nodes = new Map(ids.map((id) => [id, track(helper.getNode(id) as TrackedNode, tracking)]));
  lastLoaded = tracking;
  return { ...tracking, nodes };
}

/**
 * Checks that every message given to the last loaded node ended exactly once: one done() that the
 * Complete node saw, or one error a Catch node got. Waits (bounded) for endings still on their way.
 */
export async function assertEachEndedOnce(ms = 4000): Promise<void> {
  const loaded = lastLoaded;
  if (loaded === null || loaded.completed === null || loaded.inputs.length === 0) return;
  const completed = loaded.completed;
  const count = (): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const msg of [...completed.seen, ...loaded.caught.seen]) {
      const id = (msg as { _msgid?: string })._msgid;
      if (id !== undefined && loaded.inputs.includes(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  };
  const deadline = Date.now() + ms;
  while (count().size < new Set(loaded.inputs).size && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  // Endings after the first would come right behind it: give them a moment to show.
  await Promise.all([completed.quietFor(50), loaded.caught.quietFor(50)]);
  const counts = count();
  for (const id of new Set(loaded.inputs)) assert.equal(counts.get(id) ?? 0, 1, `message ${id} ended ${counts.get(id) ?? 0} times, not once`);
}

/** Unloads the flow after checking that every message given to it ended exactly once. */
export async function unloadChecked(): Promise<void> {
  try {
    await assertEachEndedOnce();
  } finally {
    lastLoaded = null;
    await helper.unload();
  }
}
