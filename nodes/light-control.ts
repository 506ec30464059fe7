import type { Node, NodeAPI } from 'node-red';
import { LightNodeDef, setupLightNode } from './lib/light-node';

/** Sets a light's colour, white, brightness, effect and fade; optionally reports changes made elsewhere. */
export = function register(RED: NodeAPI): void {
  function LightControlNode(this: Node, def: LightNodeDef): void {
    RED.nodes.createNode(this, def);
    setupLightNode(RED, this, def);
  }
  RED.nodes.registerType('light-control', LightControlNode);
};
