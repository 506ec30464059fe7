import type { Node, NodeAPI } from 'node-red';
import { RelayNodeDef, setupRelayNode } from './lib/relay-node';
import { useRuntimeI18n } from './lib/i18n';

/** Switches a plug and runs its commands; optionally reports changes made elsewhere. */
export = function register(RED: NodeAPI): void {
  useRuntimeI18n(RED);
  function PlugControlNode(this: Node, def: RelayNodeDef): void {
    RED.nodes.createNode(this, def);
    setupRelayNode(RED, this, def, 'plug');
  }
  RED.nodes.registerType('plug-control', PlugControlNode);
};
