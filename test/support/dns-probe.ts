// Preloaded into a tool under test (node -r): reports every DNS lookup on stderr, so a test can
// show that a command line was refused before any name was looked up. Only "localhost" (from
// /etc/hosts) is really resolved; any other name fails here, so no query leaves the machine even
// if a regression lets one through.
import dns = require('node:dns');

type Callback = (err: NodeJS.ErrnoException | null, address?: unknown, family?: number) => void;

const lookup = dns.lookup;
dns.lookup = function (this: unknown, hostname: string, ...rest: unknown[]) {
  process.stderr.write(`dns-probe: lookup ${hostname}\n`);
  if (hostname === 'localhost') return (lookup as (...args: unknown[]) => unknown).call(this, hostname, ...rest);
  const callback = rest[rest.length - 1] as Callback;
  const err: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
  process.nextTick(() => callback(err));
  return undefined;
} as typeof dns.lookup;

// The promise form, which tools that resolve a name before sending a datagram use.
const lookupPromise = dns.promises.lookup;
dns.promises.lookup = function (this: unknown, hostname: string, ...rest: unknown[]) {
  process.stderr.write(`dns-probe: lookup ${hostname}\n`);
  if (hostname === 'localhost') return (lookupPromise as (...args: unknown[]) => unknown).call(this, hostname, ...rest);
  return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }));
} as typeof dns.promises.lookup;
