import { isIP } from 'node:net';

/**
 * One label of a host name (RFC 1123): letters, digits and inner hyphens, 1 to 63 of them. The
 * build hands this pattern to the editor (scripts/editor-tables.js), whose Host field checks the same.
 */
export const HOST_LABEL_PATTERN = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
const LABEL = new RegExp(HOST_LABEL_PATTERN, 'i');

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

/**
 * Why `host` cannot be used, in words a person acts on, or undefined when it can. `portPlace` says
 * where the port goes instead ("the Port field", "-p"): "192.168.1.20:9999" is the one mistake
 * worth naming, since search host lists take `host:port` and the device's address does not.
 */
export function hostProblem(host: string, portPlace: string): string | undefined {
  if (isValidHost(host)) return undefined;
  const withPort = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(host);
  if (withPort !== null && isValidHost(withPort[1]!)) {
    return `${JSON.stringify(host)} is a host with a port: give the host alone (${withPort[1]}) and the port (${withPort[2]}) in ${portPlace}. host:port is only for a search's list of hosts.`;
  }
  return `${JSON.stringify(host)} is not a host name or IP address: give an IPv4 address (192.168.1.20), an IPv6 address (fe80::1) or a name of letters, digits, inner hyphens and dots (kitchen-plug.lan).`;
}
