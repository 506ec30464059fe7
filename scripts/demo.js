#!/usr/bin/env node
// `npm start`: simulated Kasa and Tapo devices and Node-RED with every example wired to them, all on
// 127.0.0.1, state kept in .demo/ inside the project. Ctrl-C or SIGTERM stops everything.
'use strict';
const readline = require('node:readline');
const path = require('node:path');
const { startDemo, PROJECT_ROOT } = require('./demo-runtime');

/** The hub's sensors fire a demo event (a door, a press, ...) this often; type commands for more. */
const FIRE_EVERY_MS = 15_000;

async function main() {
  console.log('Starting the simulated devices and Node-RED (its log follows)...');
  const demo = await startDemo({ log: process.stdout, fireEveryMs: FIRE_EVERY_MS, onFired: (line) => console.log(`[hub] ${line}`) });
  let stopping = false;
  const shutdown = (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping Node-RED and the simulated devices...`);
    demo.stop().then(
      () => process.exit(0),
      (err) => {
        console.error(`Could not stop cleanly: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  console.log('');
  console.log('Kasa and Tapo demo is running:');
  console.log(`  Node-RED editor      ${demo.url}`);
  if (demo.dashboardUrl) console.log(`  Dashboard 2 page     ${demo.dashboardUrl}`);
  console.log(`  Simulated HS110      ${demo.hs110.address} (TCP and UDP)`);
  console.log(`  Simulated HS300      ${demo.hs300.address} (TCP and UDP)`);
  console.log(`  Simulated KL430      ${demo.kl430.address} (a Kasa light strip; TCP and UDP)`);
  console.log(`  Simulated Tapo P110M ${demo.p110m.address} (SMART over KLAP, with an energy meter; discovery on UDP ${demo.p110m.tdpPort})`);
  console.log(`  Simulated Tapo P300  ${demo.p300.address} (SMART over KLAP, a strip of 3 outlets; discovery on UDP ${demo.p300.tdpPort})`);
  console.log(`  Simulated Tapo L530  ${demo.l530.address} (SMART over KLAP, a colour bulb; discovery on UDP ${demo.l530.tdpPort})`);
  console.log(`  Simulated Tapo H100  ${demo.h100.address} (SMART over KLAP, a hub with a sensor, button, switch and valve of each kind; discovery on UDP ${demo.h100.tdpPort})`);
  console.log(`  TDDP responder       127.0.0.1:${demo.tddp.port} (replies to port ${demo.tddpReplyPort})`);
  console.log('Every example is on a tab of its own: click the inject buttons and watch the Debug sidebar.');
  console.log(`A device node's Search asks ${demo.searchHosts} (its Search options, Hosts): it finds all seven.`);
  console.log(`The hub's sensors fire an event every ${FIRE_EVERY_MS / 1000} s; type "fire open contact", "fire press button" (or "help") for more.`);
  console.log('Ctrl-C stops it all.');
  readHubCommands(demo.h100.device.hub);
}

/** Lines typed at the demo, as tplink-sim's hub takes them: fire, list, help. */
function readHubCommands(hub) {
  const { HUB_COMMAND_HELP, describeChildren, describeFired, fireOn, parseHubCommand } = require(path.join(PROJECT_ROOT, 'dist', 'src', 'simulator', 'smart', 'hub-commands.js'));
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    try {
      const command = parseHubCommand(line);
      if (command === undefined) return;
      if (command.kind === 'help') console.log(HUB_COMMAND_HELP);
      else if (command.kind === 'list') for (const row of describeChildren(hub)) console.log(`[hub] ${row}`);
      else {
        const fired = fireOn(hub, command.event, command.child);
        console.log(`[hub] ${describeFired(fired.child, command.event, fired.entry)}`);
      }
    } catch (err) {
      console.log(`[hub] ${err.message}`);
    }
  });
}

main().catch((err) => {
  console.error(`The demo could not start: ${err.message}`);
  process.exit(1);
});
