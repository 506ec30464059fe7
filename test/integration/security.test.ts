import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import bcrypt from 'bcryptjs';
import RED = require('node-red');
import type { Node } from 'node-red';
import { KasaClient } from '../../src/family/iot/client';
import { ErrorCode } from '../../src/util/errors';
import { DEFAULT_MAX_REPLY_BYTES } from '../../src/transport/frame-reader';
import { KlapTransport } from '../../src/transport/klap';
import { SimulatedDevice } from '../../src/simulator';
import { DeviceState } from '../../src/simulator/device-state';
import { KlapServer } from '../../src/simulator/klap-server';
import { TddpResponder } from '../../src/simulator/tddp-responder';
import { freeTcpPort, freeUdpPort } from '../support/ports';
import { within } from '../support/wait';

/*
 * Security properties, checked in a real Node-RED runtime (not the test helper: its admin app has
 * neither /flows nor authentication, so only a real one shows what an editor user gets).
 */

// Every secret is a string found nowhere else, so finding it anywhere is a leak.
const KLAP_ACCOUNT = { username: 'owner.7f3a@example.com', password: 'klap-right-Vq8#pw' };
const KLAP_WRONG_PASSWORD = 'klap-wrong-Zx4!pw';
const TDDP_ACCOUNT = { username: 'tddp-operator-91', password: 'tddp-right-Hm2$pw' };
const TDDP_WRONG_PASSWORD = 'tddp-wrong-Rt6%pw';
const SECRETS = [KLAP_ACCOUNT.username, KLAP_ACCOUNT.password, KLAP_WRONG_PASSWORD, TDDP_ACCOUNT.username, TDDP_ACCOUNT.password, TDDP_WRONG_PASSWORD];
const PASSWORDS = [KLAP_ACCOUNT.password, KLAP_WRONG_PASSWORD, TDDP_ACCOUNT.password, TDDP_WRONG_PASSWORD];

const ADMIN_PASSWORD = 'admin-login-Jk9&pw';
const API_TOKEN = 'static-api-token-for-tests-5b1e';
/** A user who may look at the flows but not change them. */
const VIEWER_TOKEN = 'static-read-only-token-for-tests-8c2d';

const MiB = 1024 * 1024;

interface HttpAnswer {
  status: number;
  text: string;
}

/** One request to the editor's admin API, on a connection of its own (no keep-alive left open). */
function adminRequest(port: number, method: string, urlPath: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  const data = options.body === undefined ? undefined : JSON.stringify(options.body);
  return within(
    new Promise<HttpAnswer>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method,
          path: urlPath,
          agent: false,
          headers: {
            ...(data === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(data)) }),
            ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
            ...options.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(data);
    }),
    5000,
    `${method} ${urlPath}`,
  );
}

/** Everything the runtime let out: log entries, debug sidebar and status messages, messages between nodes. */
class Observed {
  readonly logs: unknown[] = [];
  readonly comms: unknown[] = [];
  readonly statuses: Array<{ id: string; status: unknown }> = [];
  readonly sent: unknown[] = [];
  /** Messages that reached the debug node behind the Catch node. */
  readonly caught: Array<Record<string, unknown>> = [];
  /** Per message tag: the node's done(), with its error if any. */
  private readonly done = new Map<string, { error?: Error }>();
  private readonly waiters = new Map<string, () => void>();

  /** Only the done() of the node the message was sent to counts (tags are "<node id>#<n>"), not the debug node's. */
  completed(tag: string, nodeId: string, error: Error | undefined): void {
    if (!tag.startsWith(`${nodeId}#`) || this.done.has(tag)) return;
    this.done.set(tag, error === undefined ? {} : { error });
    this.waiters.get(tag)?.();
  }

  /** Waits (bounded) for the node to call done() for the message tagged `tag`; gives the error code or 'ok'. */
  async outcome(tag: string, ms = 5000): Promise<string> {
    if (!this.done.has(tag)) {
      await within(new Promise<void>((resolve) => this.waiters.set(tag, resolve)), ms, `done() for ${tag}`).finally(() => this.waiters.delete(tag));
    }
    const { error } = this.done.get(tag)!;
    return error === undefined ? 'ok' : String((error as { code?: unknown }).code);
  }

  /** Each captured thing as text, with its kind, for searching. */
  texts(): Array<[string, string]> {
    const show = (value: unknown) => inspect(value, { depth: 12, breakLength: Infinity, showHidden: false });
    return [
      ...this.logs.map((entry): [string, string] => ['log', show(entry)]),
      ...this.comms.map((event): [string, string] => ['editor comms (debug sidebar, status)', show(event)]),
      ...this.statuses.map((event): [string, string] => ['node status', show(event)]),
      ...this.sent.map((msg): [string, string] => ['message sent between nodes', show(msg)]),
      ...this.caught.map((msg): [string, string] => ['Catch node message', show(msg)]),
    ];
  }
}

type ReceivingNode = Node & { receive(msg: Record<string, unknown>): void };

/** Node-RED 4 in this process, with adminAuth, this package from dist/nodes, and every output captured. */
async function startNodeRed(observed: Observed) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kasa-security-'));
  const server = http.createServer();
  const settings = {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: 'a-credential-secret-for-the-test-only',
    uiHost: '127.0.0.1',
    httpAdminRoot: '/',
    httpNodeRoot: false,
    nodesDir: [path.join(__dirname, '..', '..', 'nodes')],
    adminAuth: {
      type: 'credentials',
      users: [
        { username: 'admin', password: bcrypt.hashSync(ADMIN_PASSWORD, 8), permissions: '*' },
        { username: 'viewer', password: bcrypt.hashSync(ADMIN_PASSWORD, 8), permissions: 'read' },
      ],
      // Static API tokens: a login session would leave Node-RED's session-expiry timer running.
      tokens: [
        { token: API_TOKEN, user: 'admin', scope: ['*'] },
        { token: VIEWER_TOKEN, user: 'viewer', scope: ['read'] },
      ],
    },
    logging: {
      capture: { level: 'trace', metrics: false, audit: true, handler: () => (entry: unknown) => observed.logs.push(entry) },
    },
    editorTheme: { tours: false, projects: { enabled: false } },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
  };
  RED.init(server, settings as unknown as Parameters<typeof RED.init>[1]);
  server.on('request', RED.httpAdmin);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await RED.start();
  const port = (server.address() as net.AddressInfo).port;

  const onComms = (event: unknown) => observed.comms.push(event);
  const onStatus = (event: { id: string; status: unknown }) => observed.statuses.push(event);
  RED.events.on('comms', onComms);
  RED.events.on('node-status', onStatus);
  RED.hooks.add('onSend.security', (events: Array<{ msg: unknown }>) => {
    for (const event of events) observed.sent.push(event.msg);
  });
  RED.hooks.add('onReceive.security', (event: { msg: Record<string, unknown>; destination: { id: string } }) => {
    if (event.destination.id === 'debug-caught') observed.caught.push(event.msg);
  });
  RED.hooks.add('onComplete.security', (event: { msg: Record<string, unknown>; node: { id: string }; error?: Error }) => {
    if (typeof event.msg['tag'] === 'string') observed.completed(event.msg['tag'], event.node.id, event.error);
  });

  return {
    port,
    userDir,
    request: (method: string, urlPath: string, options: Parameters<typeof adminRequest>[3] = {}) => adminRequest(port, method, urlPath, options),
    /** Deploys like the editor's Deploy button and waits until the flows have started. */
    async deploy(flows: unknown[]): Promise<void> {
      const started = within(new Promise((resolve) => RED.events.once('flows:started', resolve)), 5000, 'flows to start');
      const answer = await adminRequest(port, 'POST', '/flows', { token: API_TOKEN, body: flows, headers: { 'Node-RED-Deployment-Type': 'full' } });
      assert.equal(answer.status, 204, answer.text);
      await started;
    },
    node(id: string): ReceivingNode {
      const node = (RED.nodes as unknown as { getNode(id: string): ReceivingNode | null }).getNode(id);
      assert.ok(node, `node ${id} is deployed`);
      return node;
    },
    async stop(): Promise<void> {
      RED.hooks.remove('*.security');
      RED.events.off('comms', onComms);
      RED.events.off('node-status', onStatus);
      await RED.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

/** The flow a user would deploy: devices with credentials, the nodes, a Catch node, debug nodes. */
function securityFlow(ports: { klap: number; tddp: number; tddpReply: number; plug: number; strip: number }): Record<string, unknown>[] {
  const device = (id: string, extra: Record<string, unknown>, credentials?: Record<string, string>) => ({
    id,
    type: 'tplink-device',
    host: '127.0.0.1',
    port: 9999,
    timeout: 1500,
    transport: 'tcp',
    tddpPort: ports.tddp,
    tddpReplyPort: ports.tddpReply,
    ...extra,
    ...(credentials === undefined ? {} : { credentials }),
  });
  let y = 0;
  const node = (id: string, type: string, deviceId: string, extra: Record<string, unknown> = {}) => ({
    id,
    type,
    z: 'sec',
    name: id,
    x: 200,
    y: (y += 40),
    device: deviceId,
    wires: [['debug-out']],
    ...extra,
  });
  return [
    { id: 'sec', type: 'tab', label: 'security' },
    device('dev-klap-right', { transport: 'klap', klapPort: ports.klap }, KLAP_ACCOUNT),
    device('dev-klap-wrong', { transport: 'klap', klapPort: ports.klap }, { username: KLAP_ACCOUNT.username, password: KLAP_WRONG_PASSWORD }),
    device('dev-tddp-right', {}, TDDP_ACCOUNT),
    device('dev-tddp-wrong', {}, { username: TDDP_ACCOUNT.username, password: TDDP_WRONG_PASSWORD }),
    device('dev-plug', { port: ports.plug }),
    device('dev-strip', { port: ports.strip }),
    node('klap-right', 'plug-control', 'dev-klap-right'),
    node('klap-wrong', 'plug-control', 'dev-klap-wrong'),
    node('tddp-right', 'tddp-query', 'dev-tddp-right', { tddpType: 3, subtype: '0a', output: 'string' }),
    node('tddp-wrong', 'tddp-query', 'dev-tddp-wrong', { tddpType: 3, subtype: '0a', output: 'string' }),
    node('plug-guarded', 'plug-control', 'dev-plug'),
    node('outlet-guarded', 'strip-outlet', 'dev-strip', { outlet: '1' }),
    node('energy-plug-guarded', 'plug-energy', 'dev-plug'),
    node('energy-strip-guarded', 'plug-energy', 'dev-strip', { outlet: '1,3' }),
    node('tddp-guarded', 'tddp-query', 'dev-tddp-right', { tddpType: 3, subtype: '0a' }),
    node('plug-allowed', 'plug-control', 'dev-plug', { allowRaw: true, allowDestructive: true }),
    node('outlet-allowed', 'strip-outlet', 'dev-strip', { outlet: '1', allowRaw: true, allowDestructive: true }),
    node('energy-strip-allowed', 'plug-energy', 'dev-strip', { outlet: '1,3', allowDestructive: true }),
    node('tddp-allowed', 'tddp-query', 'dev-tddp-right', { tddpType: 3, subtype: '0a', allowDestructive: true }),
    { id: 'catch-all', type: 'catch', z: 'sec', x: 200, y: 900, scope: null, uncaught: false, wires: [['debug-caught']] },
    // Debug nodes as a user sets them for troubleshooting: the whole message, to the sidebar and the log.
    { id: 'debug-out', type: 'debug', z: 'sec', x: 500, y: 100, active: true, tosidebar: true, console: true, tostatus: true, complete: 'true', targetType: 'full', wires: [] },
    { id: 'debug-caught', type: 'debug', z: 'sec', x: 500, y: 900, active: true, tosidebar: true, console: true, tostatus: true, complete: 'true', targetType: 'full', wires: [] },
  ];
}

describe('security in a real Node-RED runtime with adminAuth', () => {
  const observed = new Observed();
  let runtime: Awaited<ReturnType<typeof startNodeRed>>;
  let klap: KlapServer;
  let tddp: TddpResponder;
  let plug: SimulatedDevice;
  let strip: SimulatedDevice;
  let flow: Record<string, unknown>[];
  let tag = 0;
  /** Sends a tagged message to a node and gives the outcome of its done(): 'ok' or the error code. */
  const send = (nodeId: string, msg: Record<string, unknown>): Promise<string> => {
    const name = `${nodeId}#${++tag}`;
    runtime.node(nodeId).receive({ ...msg, tag: name });
    return observed.outcome(name);
  };

  before(async () => {
    const state = new DeviceState({ model: 'hs110v2', alias: 'klap plug' });
    klap = new KlapServer({ version: 2, bound: true, ...KLAP_ACCOUNT, handle: (json) => JSON.stringify(state.handle(JSON.parse(json))) });
    await klap.start();
    const tddpReply = await freeUdpPort();
    tddp = new TddpResponder({ profile: 'hs110', replyTo: 'reply-port', replyPort: tddpReply, ...TDDP_ACCOUNT });
    await tddp.start();
    plug = new SimulatedDevice({ model: 'hs110', alias: 'guarded plug' });
    strip = new SimulatedDevice({ model: 'hs300', alias: 'guarded strip' });
    await plug.start();
    await strip.start();
    runtime = await startNodeRed(observed);
    flow = securityFlow({ klap: klap.port, tddp: tddp.port, tddpReply, plug: plug.port, strip: strip.port });
    await runtime.deploy(flow);
  });
  after(async () => {
    await runtime?.stop();
    await klap?.stop();
    await tddp?.stop();
    await plug?.stop();
    await strip?.stop();
  });

  it("answers 401 on this package's admin endpoints and the runtime's without a valid token", async () => {
    const guarded = [
      `/kasa-flows/outlets?host=127.0.0.1&port=${strip.port}`,
      '/kasa-flows/outlets?device=dev-strip',
      '/kasa-flows/children?device=dev-strip',
      `/kasa-flows/discover?hosts=127.0.0.1&port=${plug.udpPort}&timeout=500`,
      '/flows',
      '/credentials/tplink-device/dev-klap-right',
    ];
    for (const urlPath of guarded) {
      assert.equal((await runtime.request('GET', urlPath)).status, 401, `${urlPath} without a token`);
      assert.equal((await runtime.request('GET', urlPath, { token: 'not-a-token' })).status, 401, `${urlPath} with a wrong token`);
    }
    const login = await runtime.request('POST', '/auth/token', {
      body: { client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: 'admin', password: 'not-the-password' },
    });
    assert.ok(login.status === 401 || login.status === 403, `a wrong admin password gets no token (${login.status})`);
    // With the token the same endpoints answer: the 401s above came from the permission check.
    const outlets = await runtime.request('GET', '/kasa-flows/outlets?device=dev-strip', { token: API_TOKEN });
    assert.equal(outlets.status, 200, outlets.text);
    assert.equal((JSON.parse(outlets.text) as { outlets: unknown[] }).outlets.length, 6);
    const found = await runtime.request('GET', `/kasa-flows/discover?hosts=127.0.0.1&port=${plug.udpPort}&timeout=500`, { token: API_TOKEN });
    assert.equal(found.status, 200, found.text);
  });

  it('lets only users who may change flows make the server send packets (read-only users are refused)', async () => {
    const sending = [
      `/kasa-flows/outlets?host=127.0.0.1&port=${strip.port}`,
      '/kasa-flows/outlets?device=dev-strip',
      `/kasa-flows/children?host=127.0.0.1&port=${strip.port}`,
      `/kasa-flows/discover?hosts=127.0.0.1&port=${plug.udpPort}&timeout=500`,
    ];
    const before = { plug: plug.stats.requests, strip: strip.stats.requests };
    for (const urlPath of sending) {
      const answer = await runtime.request('GET', urlPath, { token: VIEWER_TOKEN });
      // Node-RED answers a missing permission with 401, as it does a missing login.
      assert.equal(answer.status, 401, `${urlPath} for a read-only user: ${answer.text}`);
    }
    assert.deepEqual({ plug: plug.stats.requests, strip: strip.stats.requests }, before, 'no packet went out for the read-only user');
    // The same token may read the flows: the refusal is about sending, not about the token.
    assert.equal((await runtime.request('GET', '/flows', { token: VIEWER_TOKEN })).status, 200);
  });

  it('answers bad parameters with 400 and a message, and never a password in an error body', async () => {
    const bad = [
      '/kasa-flows/outlets?host=127.0.0.1&port=99999',
      '/kasa-flows/outlets?host=127.0.0.1&port=abc',
      `/kasa-flows/outlets?host=127.0.0.1&port=${strip.port}&timeout=99999999999`,
      '/kasa-flows/outlets?host=',
      '/kasa-flows/outlets?device=catch-all',
      `/kasa-flows/outlets?host=127.0.0.1&port=${strip.port}&transport=carrier-pigeon`,
      '/kasa-flows/outlets?host=a&host=b',
      '/kasa-flows/discover?port=0',
      '/kasa-flows/discover?timeout=soon',
    ];
    for (const urlPath of bad) {
      const answer = await runtime.request('GET', urlPath, { token: API_TOKEN });
      assert.equal(answer.status, 400, `${urlPath}: ${answer.text}`);
      const body = JSON.parse(answer.text) as { error: string; code: string };
      assert.equal(body.code, ErrorCode.BAD_INPUT);
      assert.ok(body.error.length > 10, 'a message for the dialog');
    }
    // Failures of the device itself are 502: wrong credentials and nothing listening. Their bodies
    // carry the reason, never the credentials the deployed node holds.
    const closed = await freeTcpPort();
    for (const [urlPath, code] of [
      ['/kasa-flows/outlets?device=dev-klap-wrong', ErrorCode.AUTH],
      ['/kasa-flows/outlets?device=dev-klap-right&host=127.0.0.1&port=' + closed + '&timeout=500', ErrorCode.REFUSED],
      [`/kasa-flows/outlets?host=127.0.0.1&port=${closed}&timeout=500&transport=klap&klapPort=${closed}`, ErrorCode.REFUSED],
    ] as const) {
      const answer = await runtime.request('GET', urlPath, { token: API_TOKEN });
      assert.equal(answer.status, 502, `${urlPath}: ${answer.text}`);
      assert.equal((JSON.parse(answer.text) as { code: string }).code, code, urlPath);
      for (const secret of SECRETS) assert.ok(!answer.text.includes(secret), `${urlPath} answered with ${secret}`);
    }
  });

  it('never gives credentials back: /flows has none, /credentials says has_password, the files on disk are encrypted', async () => {
    for (const version of ['v1', 'v2']) {
      const flows = await runtime.request('GET', '/flows', { token: API_TOKEN, headers: { 'Node-RED-API-Version': version } });
      assert.equal(flows.status, 200);
      assert.ok(flows.text.includes('dev-klap-wrong'), 'the export holds the device nodes');
      for (const secret of SECRETS) assert.ok(!flows.text.includes(secret), `GET /flows (${version}) must not contain ${secret}`);
      assert.ok(!flows.text.includes('"credentials"'), 'no credentials property in the export');
    }
    for (const id of ['dev-klap-right', 'dev-klap-wrong', 'dev-tddp-right', 'dev-tddp-wrong']) {
      const answer = await runtime.request('GET', `/credentials/tplink-device/${id}`, { token: API_TOKEN });
      assert.equal(answer.status, 200);
      const body = JSON.parse(answer.text) as Record<string, unknown>;
      assert.equal(body['has_password'], true, id);
      assert.equal(body['password'], undefined, id);
      for (const password of PASSWORDS) assert.ok(!answer.text.includes(password), `${id}: /credentials must not contain ${password}`);
    }
    const onDisk = fs.readdirSync(runtime.userDir).filter((f) => f.endsWith('.json'));
    assert.ok(onDisk.includes('flows.json') && onDisk.includes('flows_cred.json'));
    for (const file of onDisk) {
      const text = fs.readFileSync(path.join(runtime.userDir, file), 'utf8');
      for (const secret of SECRETS) assert.ok(!text.includes(secret), `${file} must not contain ${secret} in clear`);
    }
  });

  it('keeps passwords out of logs, statuses, Catch messages and debug output through KLAP and TDDP auth failures', async () => {
    assert.equal(await send('klap-right', { payload: true }), 'ok');
    assert.equal(await send('klap-wrong', { payload: true }), ErrorCode.AUTH);
    assert.equal(await send('tddp-right', {}), 'ok');
    assert.equal(await send('tddp-wrong', {}), ErrorCode.AUTH);
    // The Catch node saw both failures, and the debug node passed them on to the sidebar and the log.
    await within(
      (async () => {
        while (observed.caught.length < 2 || observed.comms.filter((c) => (c as { topic?: string }).topic === 'debug').length < 4) {
          await new Promise((resolve) => setImmediate(resolve));
        }
      })(),
      3000,
      'the debug nodes to show the results',
    );
    const codes = observed.caught.map((msg) => (msg['error'] as { code?: string }).code);
    assert.deepEqual(codes, [ErrorCode.AUTH, ErrorCode.AUTH]);
    const statuses = observed.statuses.filter((s) => s.id === 'klap-wrong' || s.id === 'tddp-wrong').map((s) => (s.status as { text?: string }).text);
    assert.ok(statuses.includes('credentials refused'), `the failing nodes say why: ${JSON.stringify(statuses)}`);
    // The search below looks where the failures were reported: each place holds the KLAP error text.
    for (const where of ['log', 'editor comms (debug sidebar, status)', 'Catch node message']) {
      assert.ok(observed.texts().some(([kind, text]) => kind === where && text.includes('did not accept the TP-Link account given')), `the ${where} shows the KLAP failure`);
    }

    for (const [where, text] of observed.texts()) {
      for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where} contains ${secret}: ${text.slice(0, 400)}`);
    }
  });

  it('refuses raw and destructive commands without asking the device unless the node allows them', async () => {
    await runtime.deploy(flow); // fresh device nodes: nothing known about the devices yet
    const before = { plug: plug.stats.requests, strip: strip.stats.requests, tddp: tddp.requestCount };
    const refused: Array<[string, Record<string, unknown>]> = [
      ['plug-guarded', { payload: { system: { get_sysinfo: {} } } }],
      ['plug-guarded', { payload: '{"system":{"reboot":{"delay":1}}}' }],
      ...['reset', 'reboot', 'energy_reset', 'runtime_reset'].map((command): [string, Record<string, unknown>] => ['plug-guarded', { command }]),
      ['outlet-guarded', { payload: { system: { set_relay_state: { state: 1 } } } }],
      ...['reset', 'reboot'].map((command): [string, Record<string, unknown>] => ['outlet-guarded', { command }]),
      ['energy-plug-guarded', { command: 'erase' }],
      ['energy-strip-guarded', { command: 'erase' }],
      ['tddp-guarded', { type: 1, payload: 'lan_ip 10.0.0.1' }],
      ['tddp-guarded', { subtype: '06', payload: '00:11:22:33:44:55' }],
      ['tddp-guarded', { subtype: '13', payload: '00' }],
      ['tddp-guarded', { subtype: '15', payload: '00' }],
    ];
    for (const [nodeId, msg] of refused) {
      const outcome = await send(nodeId, msg);
      // A raw JSON string is not a switch value: refused as input the node does not take.
      const expected = typeof msg['payload'] === 'string' && msg['payload'].startsWith('{') ? ErrorCode.BAD_INPUT : ErrorCode.NOT_ALLOWED;
      assert.equal(outcome, expected, `${nodeId} ${JSON.stringify(msg)}`);
    }
    assert.deepEqual({ plug: plug.stats.requests, strip: strip.stats.requests, tddp: tddp.requestCount }, before, 'nothing refused reached a device');

    // The same commands go through where the node allows them.
    assert.equal(await send('plug-allowed', { payload: { system: { get_sysinfo: {} } } }), 'ok');
    assert.equal(await send('plug-allowed', { command: 'reboot' }), 'ok');
    assert.equal(await send('outlet-allowed', { payload: { system: { get_sysinfo: {} } } }), 'ok');
    assert.equal(await send('energy-strip-allowed', { command: 'erase' }), 'ok');
    assert.equal(await send('tddp-allowed', { subtype: '06', payload: '00:11:22:33:44:55' }), 'ok');
    assert.equal(await send('tddp-allowed', { type: 1, payload: 'lan_ip 10.0.0.1' }), 'ok');
    assert.ok(plug.stats.requests > before.plug && strip.stats.requests > before.strip && tddp.requestCount > before.tddp);
  });
});

/** Process memory now, after a full garbage collection so earlier garbage does not count. */
const collectGarbage = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

/** Runs `work` while sampling memory; gives its result or error and the largest growth seen. */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T | Error; ms: number; rssGrowth: number; arrayBufferGrowth: number }> {
  collectGarbage();
  const start = process.memoryUsage();
  let rss = start.rss;
  let arrayBuffers = start.arrayBuffers;
  const sample = () => {
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss);
    arrayBuffers = Math.max(arrayBuffers, now.arrayBuffers);
  };
  const sampler = setInterval(sample, 2);
  const began = Date.now();
  let result: T | Error;
  try {
    result = await work();
  } catch (err) {
    result = err as Error;
  } finally {
    clearInterval(sampler);
  }
  const ms = Date.now() - began;
  sample();
  return { result, ms, rssGrowth: rss - start.rss, arrayBufferGrowth: arrayBuffers - start.arrayBuffers };
}

/** A TCP server that sends `header` and then bytes for as long as the client reads them. */
async function endlessStreamer(header: Buffer) {
  let written = 0;
  let closed: () => void = () => undefined;
  const clientGone = new Promise<void>((resolve) => (closed = resolve));
  const sockets = new Set<net.Socket>();
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      closed();
    });
    socket.once('data', () => {
      socket.write(header);
      // Writes only while the socket takes them, so this server's own memory stays flat.
      const pump = (): void => {
        while (!socket.destroyed && socket.write(chunk)) written += chunk.length;
        if (!socket.destroyed) socket.once('drain', pump);
      };
      pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    clientGone,
    get written() {
      return written;
    },
    stop: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('an oversized or malicious reply cannot exhaust memory', () => {
  const assertBounded = (what: string, m: { ms: number; rssGrowth: number; arrayBufferGrowth: number }) => {
    const show = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
    console.log(`${what}: refused after ${m.ms} ms; peak growth: buffers ${show(m.arrayBufferGrowth)}, rss ${show(m.rssGrowth)}`);
    assert.ok(m.arrayBufferGrowth < 6 * MiB, `${what}: buffers grew by ${show(m.arrayBufferGrowth)}`);
    assert.ok(m.rssGrowth < 24 * MiB, `${what}: memory grew by ${show(m.rssGrowth)}`);
  };

  it('a device announcing a 4 GiB reply: TOO_LARGE at once', async () => {
    const sim = new SimulatedDevice({ model: 'hs110' });
    await sim.start();
    const client = new KasaClient({ host: '127.0.0.1', port: sim.port, timeoutMs: 5000 });
    try {
      sim.injectFault({ kind: 'lying-length' }, { times: 1 });
      const m = await measured(() => client.send({ system: { get_sysinfo: {} } }));
      assert.equal((m.result as { code?: string }).code, ErrorCode.TOO_LARGE);
      assert.match((m.result as Error).message, /4294967295 bytes/);
      assert.ok(m.ms < 1000, `refused after ${m.ms} ms, not at the timeout`);
      assertBounded('lying length', m);
      // The connection was dropped and a fresh one works.
      assert.equal(typeof (await client.send({ system: { get_sysinfo: {} } }))['system'], 'object');
    } finally {
      await client.close();
      await sim.stop();
    }
  });

  it('a server streaming endless bytes after a 1 MiB + 1 header: TOO_LARGE promptly and the client lets go', async () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(DEFAULT_MAX_REPLY_BYTES + 1, 0);
    const streamer = await endlessStreamer(header);
    const client = new KasaClient({ host: '127.0.0.1', port: streamer.port, timeoutMs: 5000 });
    try {
      const m = await measured(() => client.send({ system: { get_sysinfo: {} } }));
      assert.equal((m.result as { code?: string }).code, ErrorCode.TOO_LARGE, String(m.result));
      assert.ok(m.ms < 1000, `refused after ${m.ms} ms`);
      await within(streamer.clientGone, 2000, 'the client to close the connection');
      assertBounded('endless stream', m);
    } finally {
      await client.close();
      await streamer.stop();
    }
  });

  for (const mode of ['endless body', 'announcing 4 GiB'] as const) {
    it(`a KLAP device ${mode}: TOO_LARGE promptly and the client lets go`, async () => {
      let replyClosed: () => void = () => undefined;
      const gone = new Promise<void>((resolve) => (replyClosed = resolve));
      const chunk = Buffer.alloc(64 * 1024, 0x33);
      const server = http.createServer((req, res) => {
        req.resume();
        res.on('close', () => replyClosed());
        if (mode === 'announcing 4 GiB') {
          res.writeHead(200, { 'Content-Length': String(4 * 1024 * MiB) });
          res.write(chunk);
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' }); // chunked, no length
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as net.AddressInfo).port;
      const client = new KasaClient({ host: '127.0.0.1', timeoutMs: 5000, transport: new KlapTransport({ host: '127.0.0.1', port }) });
      try {
        const m = await measured(() => client.send({ system: { get_sysinfo: {} } }));
        assert.equal((m.result as { code?: string }).code, ErrorCode.TOO_LARGE, String(m.result));
        assert.ok(m.ms < 1000, `refused after ${m.ms} ms`);
        await within(gone, 2000, 'the client to drop the reply');
        assertBounded(`KLAP ${mode}`, m);
      } finally {
        await client.close();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  }
});
