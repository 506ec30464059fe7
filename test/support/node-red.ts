import helper from 'node-red-node-test-helper';
import type { Node, NodeMessage } from 'node-red';
import { within } from './wait';

helper.init(require.resolve('node-red'));

export { helper };

import tplinkDevice = require('../../nodes/tplink-device');
import plugControl = require('../../nodes/plug-control');
import stripOutlet = require('../../nodes/strip-outlet');
import plugEnergy = require('../../nodes/plug-energy');
import tddpQuery = require('../../nodes/tddp-query');

export const nodeModules = { tplinkDevice, plugControl, stripOutlet, plugEnergy, tddpQuery };

/** Node-RED's own Catch node, so errors are checked as a flow author would see them. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain JS file without types
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

export const allNodes = [...Object.values(nodeModules), catchNode];

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
  ];
}

/** Collects what a helper node receives; `next()` waits (bounded) for the next message. */
export class Inbox {
  private readonly queue: NodeMessage[] = [];
  private waiters: Array<(msg: NodeMessage) => void> = [];

  constructor(node: Node) {
    node.on('input', (msg: NodeMessage) => {
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
    return new Promise((resolve) => {
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

export interface Loaded {
  node: Node & { receive(msg: Record<string, unknown>): void };
  out: Inbox;
  caught: Inbox;
}

export async function load(flow: Record<string, unknown>[], credentials: Record<string, unknown> = {}): Promise<Loaded> {
  await helper.load(allNodes, flow, credentials);
  return {
    node: helper.getNode('n1') as Loaded['node'],
    out: new Inbox(helper.getNode('out')),
    caught: new Inbox(helper.getNode('caught')),
  };
}
