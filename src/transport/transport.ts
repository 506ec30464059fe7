/**
 * A transport carries one JSON request to a device and brings back its JSON reply as text.
 * Exchanges on one transport never overlap: the client queues its requests (and the TCP and HTTP
 * transports run theirs one at a time too, for callers that do not wait).
 */
export interface Transport {
  /** 'tcp' and 'udp' are the XOR protocol; 'klap' the newer firmware's HTTP protocol; 'aes' older Tapo firmware's; 'tpap' 2025 firmware's. */
  readonly kind: 'tcp' | 'udp' | 'klap' | 'aes' | 'tpap';
  /** host:port, for messages. */
  readonly address: string;
  /**
   * Sends one request and resolves with the reply text, or rejects with a KasaError.
   * `repeatable`: the request only reads, so it may be sent again after a connection broke with
   * no answer. A request that is not repeatable is sent again only if it provably never left.
   */
  exchange(json: string, timeoutMs: number, repeatable?: boolean): Promise<string>;
  /**
   * Lets go of the connection, so the next exchange opens a new one: the client calls it when a
   * reply turned out not to answer its request, since whatever the device sends next on that
   * connection could be the answer to this one. Transports without a stream keep nothing to drop.
   */
  dropConnection?(): void;
  /**
   * Forgets the session (KLAP, AES), so the next exchange starts with a new handshake: the SMART client
   * calls it when a reply's error code says the device ended the session.
   */
  newSession?(): void;
  /** Releases sockets and timers; further exchanges reject with CLOSED. */
  close(): Promise<void>;
}

export interface TransportOptions {
  host: string;
  port: number;
  /** Largest reply accepted, in bytes (TCP frames and UDP datagrams alike). */
  maxReplyBytes?: number;
}

/** "host:port", with IPv6 literals bracketed. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** "5 s", "2.5 s": durations in messages a person reads. */
export function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
