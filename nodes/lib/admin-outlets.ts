import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { RANGES, checkNumber } from '../../src/util/bounds';
import { DEFAULT_PORT, DEFAULT_TIMEOUT_MS } from '../../src/family/iot/client';
import type { Device } from '../../src/device/device';
import { connectDevice } from '../../src/family/connect';
import { displayValue } from '../../src/util/display-text';
import { ErrorCode, KasaError } from '../../src/util/errors';
import { KLAP_DEFAULT_PORT } from '../../src/transport/klap';
import { TransportChoice, isTransportChoice } from '../../src/transport/factory';
import { ADMIN_PREFIX, DeviceConfigNode } from './device-config';
import { answerError, singleParameter } from './admin-answer';

export const OUTLETS_PATH = `${ADMIN_PREFIX}/outlets`;

/**
 * GET /kasa-flows/outlets?device=<config node id>&host=&port=&timeout=&transport= for the
 * strip-outlet dialog, which lists a strip's outlets so a person picks one by name. It makes the
 * server send packets to an address typed in the request, so it needs the write permission.
 * Answers 200 {alias, model, outlets}, 400 {error, code} for bad parameters, 502 otherwise.
 */
export function registerOutletsEndpoint(RED: NodeAPI): void {
  RED.httpAdmin.get(OUTLETS_PATH, RED.auth.needsPermission('tplink-device.write'), (req: Request, res: Response) => {
    void answerOutlets(RED, req, res);
  });
}

async function answerOutlets(RED: NodeAPI, req: Request, res: Response): Promise<void> {
  await answerFromDevice(RED, req, res, async (device) => {
    const { info } = await device.getSysinfo();
    return {
      alias: info.alias,
      model: info.model,
      outlets: (info.outlets ?? []).map(({ index, id, alias, on }) => ({ index, id, alias, on })),
    };
  });
}

/**
 * Answers an editor's request with what `work` reads of the device the query names: the deployed
 * config node's device, or one opened for this request only (and closed again).
 */
export async function answerFromDevice(RED: NodeAPI, req: Request, res: Response, work: (device: Device) => Promise<unknown>): Promise<void> {
  let temporary: Device | null = null;
  try {
    const query = outletsQuery(RED, req.query);
    let device: Device;
    if (query.deployed !== null) {
      device = await query.deployed.device();
    } else {
      // A device not deployed yet: ask it with the address typed in the dialog, then let go.
      // The editor never holds the password: KLAP here works with plugs not bound to an account.
      const settings = { transport: query.transport, host: query.host, port: query.port, klapPort: query.klapPort, timeoutMs: query.timeoutMs };
      device = temporary = await connectDevice({ ...settings, persistent: false });
    }
    res.json(await work(device));
  } catch (err) {
    answerError(res, err);
  } finally {
    await temporary?.close();
  }
}

interface OutletsQuery {
  /** The deployed config node, while the dialog still shows its address. */
  deployed: DeviceConfigNode | null;
  host: string;
  port: number;
  timeoutMs: number;
  transport: TransportChoice;
  klapPort: number;
}

/** Reads and checks the query; throws BAD_INPUT (400) with a message for the dialog. */
export function outletsQuery(RED: NodeAPI, query: Request['query']): OutletsQuery {
  const id = singleParameter(query, 'device');
  const host = (singleParameter(query, 'host') ?? '').trim();
  const port = checkNumber(singleParameter(query, 'port'), RANGES.port, DEFAULT_PORT);
  const timeoutMs = checkNumber(singleParameter(query, 'timeout'), RANGES.timeoutMs, DEFAULT_TIMEOUT_MS);
  const klapPort = checkNumber(singleParameter(query, 'klapPort'), { ...RANGES.port, name: 'KLAP port' }, KLAP_DEFAULT_PORT);
  const transport = singleParameter(query, 'transport') || 'tcp';
  if (!isTransportChoice(transport)) throw new KasaError(ErrorCode.BAD_INPUT, `Unknown transport ${displayValue(transport)}.`);
  let byId: DeviceConfigNode | null = null;
  if (id !== undefined && id !== '') {
    const node = RED.nodes.getNode(id) as DeviceConfigNode | null;
    if (node !== null && node.type !== 'tplink-device') {
      throw new KasaError(ErrorCode.BAD_INPUT, 'The device parameter names a node that is not a TP-Link device.');
    }
    byId = node;
  }
  // The deployed node only while the dialog still shows its address: an edited one is asked directly.
  const deployed = byId !== null && (host === '' || (byId.host === host && byId.port === port)) ? byId : null;
  if (deployed === null && host === '') {
    throw new KasaError(ErrorCode.BAD_INPUT, 'No device address given: type the host (name or IP address) of the strip.');
  }
  return { deployed, host, port, timeoutMs, transport, klapPort };
}
