// Where tddp-query listens for TDDP replies: every interface by default (devices on the network
// answer there), 127.0.0.1 only when settings.js says tddpQueryReplyAddress: "127.0.0.1" (the demo).
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { afterEach, describe, it } from 'node:test';
import { TddpResponder } from '../../src/simulator/tddp-responder';
import { flowWith, helper, load } from '../support/node-red';
import { freeUdpPort } from '../support/ports';

/** Whether this process may bind `address`:`port` now (a socket on every interface holds it for all). */
async function canBind(address: string, port: number): Promise<boolean> {
  const probe = dgram.createSocket('udp4');
  const bound = await new Promise<boolean>((resolve) => {
    probe.once('error', () => resolve(false));
    probe.bind({ address, port, exclusive: true }, () => resolve(true));
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return bound;
}

describe('tddp-query reply address', () => {
  let responder: TddpResponder | undefined;
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    await responder?.stop();
    responder = undefined;
  });

  /** A query answered through the reply port; resolves with that port. */
  async function queryOnce(): Promise<number> {
    const replyPort = await freeUdpPort();
    responder = new TddpResponder({ profile: 'hs110', replyTo: 'reply-port', replyPort });
    await responder.start();
    const flow = flowWith({ type: 'tddp-query', name: 'debug', tddpType: 3, subtype: '0a', output: 'string' }, { host: '127.0.0.1', port: 9999, tddpPort: responder.port, tddpReplyPort: replyPort });
    const t = await load(flow);
    t.node.receive({});
    assert.equal((await t.out.next())['payload'], 'ABCD0110');
    return replyPort;
  }

  it('listens on 127.0.0.1 only when settings.js says tddpQueryReplyAddress: "127.0.0.1"', async () => {
    helper.settings({ tddpQueryReplyAddress: '127.0.0.1' });
    const replyPort = await queryOnce();
    // Another loopback address on the same port is free: the reply socket holds 127.0.0.1 alone.
    assert.equal(await canBind('127.0.0.2', replyPort), true);
  });

  it('listens on every interface by default', async () => {
    const replyPort = await queryOnce();
    assert.equal(await canBind('127.0.0.2', replyPort), false);
  });
});
