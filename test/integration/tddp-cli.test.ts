import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { TddpResponder } from '../../src/simulator/tddp-responder';
import { freeUdpPort } from '../support/ports';

const CLI = path.join(__dirname, '..', '..', 'bin', 'tddp-client.js');
/** Preloaded with -r: reports DNS lookups on stderr and lets none but localhost through. */
const DNS_PROBE = path.join(__dirname, '..', 'support', 'dns-probe.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled CLI as a child process; the responder answers from this process. */
function runCli(args: string[], nodeArgs: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

void describe('tddp-client command line', () => {
  let replyPort: number;
  let hs110: TddpResponder;
  let target: string[];

  before(async () => {
    replyPort = await freeUdpPort();
    hs110 = new TddpResponder({ profile: 'hs110', replyTo: 'reply-port', replyPort });
    await hs110.start();
    target = ['-t', '127.0.0.1', '--port', String(hs110.port), '--reply-port', String(replyPort)];
  });

  after(async () => {
    await hs110.stop();
  });

  void it('prints the request and reply headers and the decrypted text, as the seed does', async () => {
    const run = await runCli([...target, '-c', '0a']);
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0);
    assert.deepEqual(run.stdout.split('\n'), [
      'Request Data: Version 02 Type 03 Status 00 Length 00000000 ID 0001 Subtype 0a',
      'Reply Data: Version 02 Type 03 Status 00 Length 00000008 ID 0001 Subtype 0a',
      'Decrypted: ABCD0110',
      '',
    ]);
  });

  void it('with -v adds the packets in hex and the digest check', async () => {
    const run = await runCli([...target, '-u', 'admin', '-p', 'admin', '-c', '0x0A', '-v']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.deepEqual(lines, [
      'Request Data: Version 02 Type 03 Status 00 Length 00000000 ID 0001 Subtype 0a',
      'Request: 020301000000000000010a00b1522a579fd64dfd3756ec03f8747b1e',
      'Reply Data: Version 02 Type 03 Status 00 Length 00000008 ID 0001 Subtype 0a',
      'Reply: 020302000000000800010a00f29663dfabc6b8c1dc3ade3bce86495ee4d21dea3ec1838c',
      'Digest: ok (over the plaintext)',
      'Decrypted: ABCD0110',
    ]);
  });

  void it('sends a type and data given on the command line', async () => {
    const run = await runCli([...target, '--type', '7', '-c', '1', '--data', 'echo me']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Request Data: Version 02 Type 07 Status 00 Length 00000008 ID 0001 Subtype 01$/m);
    assert.match(run.stdout, /^Decrypted: echo me$/m);
  });

  void it('exits 1 with a one-line reason for a wrong password', async () => {
    const run = await runCli([...target, '-c', '0a', '-p', 'wrong']);
    assert.equal(run.code, 1);
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.match(run.stderr, /could not be decrypted with these credentials: check username and password\. \[AUTH\]/);
    assert.doesNotMatch(run.stdout, /Decrypted/);
  });

  void it('exits 1 and shows the raw status for an unknown subtype', async () => {
    const run = await runCli([...target, '-c', '77']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^Reply Data: Version 02 Type 03 Status 02 Length 00000000 ID 0001 Subtype 77$/m);
    assert.match(run.stderr, /^tddp-client: 127\.0\.0\.1:\d+ answered TDDP status 0x02 .*\[DEVICE_ERROR\]\n$/);
  });

  void it('exits 1 with a one-line reason when the device stays silent', async () => {
    hs110.injectFault('silence');
    try {
      const run = await runCli([...target, '-c', '0a', '--timeout', '0.3']);
      assert.equal(run.code, 1);
      assert.equal(run.stderr.trim().split('\n').length, 1);
      assert.match(run.stderr, new RegExp(`^tddp-client: 127\\.0\\.0\\.1:${hs110.port} did not answer .* within 0\\.3 s.*\\[TIMEOUT\\]`));
      assert.match(run.stdout, /^Request Data: /);
    } finally {
      hs110.clearFaults();
    }
  });

  void it('exits 2 with a one-line reason on usage errors', async () => {
    const cases: [string[], RegExp][] = [
      [['-c', '0a'], /the target host is required \(-t <host>\)/],
      [['-t', '127.0.0.1'], /the subtype is required/],
      [['-t', '127.0.0.1', '-c', 'zz'], /-c takes a subtype of one or two hex digits/],
      [['-t', '127.0.0.1', '-c', '0a', '--bogus'], /Unknown option '--bogus'/],
      [['-t', '127.0.0.1', '-c', '0a', '--timeout', '0'], /invalid timeout/],
      [['-t', '127.0.0.1', '-c', '0a', '--port', '70000'], /invalid port/],
      [['-t', '127.0.0.1', '-c', '13'], /subtype 0x13 is destructive on HS110.*--force/],
    ];
    const requestsBefore = hs110.requestCount;
    for (const [args, reason] of cases) {
      const run = await runCli(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stdout, '');
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.match(run.stderr, reason);
    }
    assert.equal(hs110.requestCount, requestsBefore, 'a usage error sends nothing');
  });

  void it('refuses a target that is no host name or address as a usage error, without looking it up', async () => {
    const control = await runCli(['-t', 'localhost', '-c', '0a', '--port', String(hs110.port), '--reply-port', String(replyPort)], ['-r', DNS_PROBE]);
    assert.match(control.stderr, /dns-probe: lookup localhost/, 'the probe sees the lookups the tool makes');
    for (const host of ['bad host!', 'router_1', '192.168.0.256']) {
      const run = await runCli([`--target=${host}`, '-c', '0a'], ['-r', DNS_PROBE]);
      assert.equal(run.code, 2, host);
      assert.equal(run.stderr, `tddp-client: -t ${JSON.stringify(host)} is not a valid host name or IP address (see --help)\n`);
    }
  });

  void it('prints the usage with --help', async () => {
    const run = await runCli(['--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: tddp-client -t <host> -c <hex subtype>/);
    assert.match(run.stdout, /--reply-port <port>/);
  });
});
