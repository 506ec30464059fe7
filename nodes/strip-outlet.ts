import type { Node, NodeAPI } from 'node-red';
import { RelayNodeDef, setupRelayNode } from './lib/relay-node';
import { useRuntimeI18n } from './lib/i18n';

/** The same as plug-control, for one, several or all outlets of a power strip. */
export = function register(RED: NodeAPI): void {
  useRuntimeI18n(RED);
  function StripOutletNode(this: Node, def: RelayNodeDef): void {
    RED.nodes.createNode(this, def);
    setupRelayNode(RED, this, def, 'outlets');
  }
  RED.nodes.registerType('strip-outlet', StripOutletNode);
};
