import { isIP } from 'node:net';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { displayValue } from '../src/util/display-text';
import { ErrorCode, KasaError } from '../src/util/errors';
import { ReplySocket, TddpType, acquireReplySocket, checkTddpReply, findSubtype, queryTddp } from '../src/tddp';
import { formatAddress } from '../src/transport/transport';
import { handleInput } from './lib/input';
import { deviceNodeOf } from './lib/relay-node';
import { errorStatus, readyStatus } from './lib/status';
import { statusText, useRuntimeI18n } from './lib/i18n';

interface TddpNodeDef extends NodeDef {
  device: string;
  /** TDDP type (NodeDef's own `type` is the node type name, hence the prefix). */
  tddpType?: string | number;
  /** Hex, e.g. "0a". */
  subtype?: string;
  data?: string;
  output?: string;
  allowDestructive?: boolean;
}

/**
 * settings.js `tddpQueryReplyAddress`: the local address the TDDP reply port listens on, for every
 * tddp-query node of the process (they share one socket per port). Unset: every interface, as
 * devices on the network need; "127.0.0.1" keeps it to this machine (the demo does).
 */
const REPLY_ADDRESS_SETTING = 'tddpQueryReplyAddress';

/** Queries a device over TDDP, the TP-Link debug protocol (UDP 1040, DES-encrypted data). */
export = function register(RED: NodeAPI): void {
  useRuntimeI18n(RED);
  function TddpQueryNode(this: Node, def: TddpNodeDef): void {
    RED.nodes.createNode(this, def);
    const deviceNode = deviceNodeOf(RED, this, def.device);
    if (deviceNode === null) return;
    const setting = (RED.settings as unknown as Record<string, unknown>)[REPLY_ADDRESS_SETTING];
    const replyAddress = typeof setting === 'string' && setting.trim() !== '' ? setting.trim() : undefined;

    // Holding a share keeps the process's reply socket bound between queries; close gives it back.
    let share: ReplySocket | null = null;
    let closed = false;
    const holding = acquireReplySocket(deviceNode.tddpReplyPort, replyAddress !== undefined && isIP(replyAddress) === 6 ? 6 : 4, replyAddress).then(
      (acquired) => {
        if (closed) return acquired.release();
        share = acquired;
        this.status(readyStatus(statusText('replyPort', { port: acquired.port })));
      },
      (err: unknown) => this.status(errorStatus(err)),
    );

    handleInput(this, async (msg, send) => {
      deviceNode.checkSettings();
      const type = parseType(msg['type'] ?? def.tddpType);
      const subtype = parseSubtype(msg['subtype'] ?? def.subtype);
      const known = findSubtype(type, subtype);
      if ((type === TddpType.SET_CONFIG || known?.destructive === true) && def.allowDestructive !== true) {
        throw new KasaError(
          ErrorCode.NOT_ALLOWED,
          `${type === TddpType.SET_CONFIG ? 'Writing configuration (type 1)' : known!.description} can change or brick the device ` +
            'and is switched off for this node. Tick "Allow destructive commands" in the node if you really mean it.',
        );
      }
      const login = deviceNode.tddpLogin();
      const reply = await queryTddp({
        host: deviceNode.host,
        port: deviceNode.tddpPort,
        replyPort: deviceNode.tddpReplyPort,
        ...(replyAddress === undefined ? {} : { replyAddress }),
        username: login.username,
        password: login.password,
        timeoutMs: deviceNode.timeoutMs,
        type,
        subtype,
        data: dataOf(msg.payload, def.data),
      });
      checkTddpReply(reply, formatAddress(deviceNode.host, deviceNode.tddpPort));
      msg.payload = def.output === 'buffer' ? reply.data : reply.data.toString('utf8');
      msg['tddp'] = { ...reply.header };
      this.status({ fill: 'green', shape: 'dot', text: statusText('tddpOk', { subtype: subtype.toString(16).padStart(2, '0') }) });
      send(msg);
    });

    this.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      holding
        .then(() => share?.release())
        .then(done, done);
    });
  }

  RED.nodes.registerType('tddp-query', TddpQueryNode, { settings: { [REPLY_ADDRESS_SETTING]: { value: '', exportable: false } } });
};

function parseType(value: unknown): number {
  const n = value === undefined || value === '' ? TddpType.SPECIAL_COMMAND : typeof value === 'number' || typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new KasaError(ErrorCode.BAD_INPUT, `TDDP type ${displayValue(value)} is not a number from 0 to 255.`);
  return n;
}

/** A subtype is written in hex ("0a", "0x0A"); a number is taken as it is. */
function parseSubtype(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^(0x)?[0-9a-f]{1,2}$/i.test(value.trim()) ? Number.parseInt(value.trim().replace(/^0x/i, ''), 16) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 255) {
    throw new KasaError(ErrorCode.BAD_INPUT, `TDDP subtype ${displayValue(value)} is not a hex byte such as "0a".`);
  }
  return n;
}

/** msg.payload as data when it is text or bytes (an inject's timestamp is not data). */
function dataOf(payload: unknown, configured: string | undefined): Buffer | string | undefined {
  if (Buffer.isBuffer(payload)) return payload;
  if (typeof payload === 'string' && payload !== '') return payload;
  return configured === undefined || configured === '' ? undefined : configured;
}
