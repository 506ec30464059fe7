import { isIP } from 'node:net';

/** One label of a host name (RFC 1123): letters, digits and inner hyphens, 1 to 63 of them. */
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * Whether `host` is an IPv4 address, an IPv6 address (without brackets; a zone such as %eth0 is
 * allowed) or an RFC 1123 host name, by its syntax alone: nothing is looked up, so a typo is
 * caught at once instead of after a DNS timeout.
 *
 * A name whose last label is all digits is refused: it is no top-level domain, and it is what a
 * mistyped address looks like ("192.168.1.300", "127.1"), which the system resolver may otherwise
 * read as an address in one of its legacy forms.
 */
export function isValidHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  return labels.every((label) => LABEL.test(label)) && !/^\d+$/.test(labels[labels.length - 1]!);
}
