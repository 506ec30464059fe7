#!/usr/bin/env node
// `npm start`: simulated Kasa devices and Node-RED with a demo flow wired to them, all on
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
  console.log('Kasa demo is running:');
  console.log(`  Node-RED editor      ${demo.url}`);
  console.log(`  Simulated HS110      ${demo.hs110.address} (TCP and UDP)`);
  console.log(`  Simulated HS300      ${demo.hs300.address} (TCP and UDP)`);
  console.log(`  TDDP responder       127.0.0.1:${demo.tddp.port} (replies to port ${demo.tddpReplyPort})`);
  console.log('Open the editor, click the inject buttons and watch the Debug sidebar. Ctrl-C stops it all.');
}

main().catch((err) => {
  console.error(`The demo could not start: ${err.message}`);
  process.exit(1);
});
