import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { CHILD_KIND_LABELS } from '../../src/device/kind';
import { ADMIN_PREFIX } from './device-config';
import { answerFromDevice } from './admin-outlets';

export const CHILDREN_PATH = `${ADMIN_PREFIX}/children`;

/**
 * GET /kasa-flows/children?device=<config node id>&host=&port=&timeout=&transport= for the
 * hub-sensor dialog, which lists a hub's children (name, model, kind) so a person picks one. The
 * same parameters, permission and answers as the outlets list: 200 {alias, model, kind, children},
 * 400 {error, code} for bad parameters, 502 otherwise.
 */
export function registerChildrenEndpoint(RED: NodeAPI): void {
  RED.httpAdmin.get(CHILDREN_PATH, RED.auth.needsPermission('tplink-device.write'), (req: Request, res: Response) => {
    void answerFromDevice(RED, req, res, async (device) => {
      const { info } = await device.getSysinfo();
      const children = (info.children ?? []).filter((child) => child.kind !== 'outlet');
      return {
        alias: info.alias,
        model: info.model,
        kind: info.kind,
        children: children.map(({ id, alias, model, kind, readings }) => ({ id, alias, model: model ?? '', kind, label: CHILD_KIND_LABELS[kind], online: readings?.online !== false })),
      };
    });
  });
}
