import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ErrorCode } from '../../src/util/errors';
import { TddpResponder } from '../../src/simulator/tddp-responder';
import { openReplySocketCount } from '../../src/tddp';
import { flowWith, load, unloadChecked } from '../support/node-red';
import { freeUdpPort } from '../support/ports';

type Msg = Record<string, unknown> & { error?: { code?: string; message?: string } };
const tddpNode = (extra: Record<string, unknown> = {}) => ({ type: 'tddp-query', name: 'debug', tddpType: 3, subtype: '0a', output: 'string', ...extra });

async function setup(options: {
  replyTo: 'reply-port' | 'source-port';
  username?: string;
  password?: string;
  node?: Record<string, unknown>;
  device?: Record<string, unknown>;
  credentials?: Record<string, string>;
}) {
  const replyPort = await freeUdpPort();
  const responder = new TddpResponder({
    profile: 'hs110',
    replyTo: options.replyTo,
    replyPort,
    ...(options.username ? { username: options.username } : {}),
    ...(options.password ? { password: options.password } : {}),
  });
  await responder.start();
  const flow = flowWith(tddpNode(options.node), { host: '127.0.0.1', port: 9999, tddpPort: responder.port, tddpReplyPort: replyPort, ...options.device });
  const loaded = await load(flow, options.credentials ? { dev: options.credentials } : {});
  return { ...loaded, responder, replyPort };
}

describe('tddp-query in a Node-RED runtime', () => {
  let responder: TddpResponder | undefined;
  afterEach(async () => {
    await unloadChecked();
    await responder?.stop();
    responder = undefined;
  });

  for (const replyTo of ['reply-port', 'source-port'] as const) {
    it(`queries an HS110 with the default credentials (replies to the ${replyTo})`, async () => {
      const t = await setup({ replyTo });
      responder = t.responder;
      t.node.receive({ payload: Date.now() });
      const msg = await t.out.next();
      assert.equal(msg['payload'], 'ABCD0110');
      const header = msg['tddp'] as Record<string, unknown>;
      assert.equal(header['subtype'], 0x0a);
      assert.equal(header['status'], 0);
      assert.equal(header['digestOk'], true);
    });
  }

  it('takes the subtype from msg.subtype and returns a Buffer when set to', async () => {
    const t = await setup({ replyTo: 'reply-port', node: { output: 'buffer' } });
    responder = t.responder;
    t.node.receive({ subtype: '12' });
    const msg = await t.out.next();
    assert.ok(Buffer.isBuffer(msg['payload']));
    assert.match((msg['payload'] as Buffer).toString('utf8'), /^[0-9A-F]{40}$/);
  });

  it('detects wrong credentials and explains them', async () => {
    const t = await setup({ replyTo: 'reply-port', password: 'secret' });
    responder = t.responder;
    t.node.receive({});
    const msg = (await t.caught.next()) as Msg;
    assert.equal(msg.error?.code, ErrorCode.AUTH);
    assert.match(msg.error?.message ?? '', /check username and password/);
    assert.doesNotMatch(msg.error?.message ?? '', /secret|admin/);
  });

  it('uses the TDDP login of the device node, kept apart from the TP-Link account', async () => {
    const t = await setup({
      replyTo: 'reply-port',
      username: 'debug-user',
      password: 'secret',
      device: { tddpLoginApart: true },
      credentials: { username: 'me@example.com', password: 'account-pw', tddpUsername: 'debug-user', tddpPassword: 'secret' },
    });
    responder = t.responder;
    t.node.receive({});
    assert.equal((await t.out.next())['payload'], 'ABCD0110');
  });

  it('uses the factory login, not the TP-Link account, when a new device node has no TDDP login', async () => {
    const t = await setup({ replyTo: 'reply-port', device: { tddpLoginApart: true }, credentials: { username: 'me@example.com', password: 'account-pw' } });
    responder = t.responder;
    t.node.receive({});
    assert.equal((await t.out.next())['payload'], 'ABCD0110');
  });

  it('loads a device node saved before the TDDP login had fields of its own: its one pair is still the TDDP login', async () => {
    // As the editor of the earlier version saved it: no tddpLoginApart, the debug login in username/password.
    const t = await setup({ replyTo: 'reply-port', password: 'secret', credentials: { username: 'admin', password: 'secret' } });
    responder = t.responder;
    t.node.receive({});
    assert.equal((await t.out.next())['payload'], 'ABCD0110');
  });

  it('takes the TDDP fields of an old device node once they are filled in', async () => {
    const t = await setup({
      replyTo: 'reply-port',
      password: 'secret',
      credentials: { username: 'me@example.com', password: 'account-pw', tddpUsername: 'admin', tddpPassword: 'secret' },
    });
    responder = t.responder;
    t.node.receive({});
    assert.equal((await t.out.next())['payload'], 'ABCD0110');
  });

  it('surfaces an error status and a timeout through Catch', async () => {
    const t = await setup({ replyTo: 'reply-port' });
    responder = t.responder;
    t.responder.injectFault({ kind: 'error-status', status: 9 });
    t.node.receive({});
    const status = (await t.caught.next()) as Msg;
    assert.equal(status.error?.code, ErrorCode.DEVICE_ERROR);
    assert.match(status.error?.message ?? '', /0x09/);
    t.responder.clearFaults();
    t.responder.injectFault('silence');
    t.node.receive({});
    assert.equal(((await t.caught.next(8000)) as Msg).error?.code, ErrorCode.TIMEOUT);
  });

  it('refuses writes of identity data unless allowed', async () => {
    const t = await setup({ replyTo: 'reply-port' });
    responder = t.responder;
    t.node.receive({ subtype: '06' });
    assert.equal(((await t.caught.next()) as Msg).error?.code, ErrorCode.NOT_ALLOWED);
    t.node.receive({ type: 1 });
    assert.equal(((await t.caught.next()) as Msg).error?.code, ErrorCode.NOT_ALLOWED);
    t.node.receive({ subtype: 'zz' });
    assert.equal(((await t.caught.next()) as Msg).error?.code, ErrorCode.BAD_INPUT);
  });

  it('frees the reply port on close, so a redeploy binds it again', async () => {
    const t = await setup({ replyTo: 'reply-port' });
    responder = t.responder;
    t.node.receive({});
    await t.out.next();
    assert.equal(openReplySocketCount(), 1);
    await unloadChecked();
    assert.equal(openReplySocketCount(), 0);
    const flow = flowWith(tddpNode(), { host: '127.0.0.1', port: 9999, tddpPort: t.responder.port, tddpReplyPort: t.replyPort });
    const again = await load(flow);
    again.node.receive({ subtype: '0a' });
    assert.equal((await again.out.next())['payload'], 'ABCD0110');
  });
});
