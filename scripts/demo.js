#!/usr/bin/env node
// `npm start`: simulated Kasa and Tapo devices and Node-RED with every example wired to them, all on
// 127.0.0.1, state kept in .demo/ inside the project. Ctrl-C or SIGTERM stops everything.
'use strict';
const { startDemo } = require('./demo-runtime');

async function main() {
  console.log('Starting the simulated devices and Node-RED (its log follows)...');
  const demo = await startDemo({ log: process.stdout });
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
  console.log(`  TDDP responder       127.0.0.1:${demo.tddp.port} (replies to port ${demo.tddpReplyPort})`);
  console.log('Every example is on a tab of its own: click the inject buttons and watch the Debug sidebar.');
  console.log(`A device node's Search asks ${demo.searchHosts} (its Search options, Hosts): it finds all six.`);
  console.log('Ctrl-C stops it all.');
}

main().catch((err) => {
  console.error(`The demo could not start: ${err.message}`);
  process.exit(1);
});
