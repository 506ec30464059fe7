/**
 * Every failure the package reports is a KasaError with a stable `code`.
 * Node-RED copies an own `code` property into `msg.error.code`, so flows can branch on it.
 */
export const ErrorCode = {
  /** The caller gave something unusable: bad host, unknown preset, malformed JSON, ... */
  BAD_INPUT: 'BAD_INPUT',
  /** No connection or no reply within the time allowed. */
  TIMEOUT: 'TIMEOUT',
  /** The device (or nothing) refused the connection on that port. */
  REFUSED: 'REFUSED',
  /** The connection broke before the reply was complete. */
  RESET: 'RESET',
  /** The address cannot be reached or resolved. */
  UNREACHABLE: 'UNREACHABLE',
  /** The reply could not be understood: bad frame, not UTF-8, not JSON, wrong shape. */
  PROTOCOL: 'PROTOCOL',
  /** The reply announced more bytes than the configured maximum. */
  TOO_LARGE: 'TOO_LARGE',
  /** The device answered with a non-zero err_code. */
  DEVICE_ERROR: 'DEVICE_ERROR',
  /** The device does not have the module or method asked for (err_code -1 / -2). */
  NOT_SUPPORTED: 'NOT_SUPPORTED',
  /** An energy reading was asked of a device without a meter. */
  NO_ENERGY_METER: 'NO_ENERGY_METER',
  /** The command is raw or destructive and the node does not allow it. */
  NOT_ALLOWED: 'NOT_ALLOWED',
  /** The client was closed while the request waited or ran. */
  CLOSED: 'CLOSED',
  /** Credentials were refused (TDDP digest/decryption, KLAP handshake). */
  AUTH: 'AUTH',
  /** The operating system refused a network operation (a port in use, no permission, ...). */
  NETWORK: 'NETWORK',
  /** A fault in this package itself, not in the device or the input: please report it. */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface KasaErrorDetails {
  /** host:port of the device involved, when there is one. */
  device?: string;
  /** For DEVICE_ERROR: the module and method that failed, the device's err_code and err_msg. */
  module?: string;
  method?: string;
  errCode?: number;
  errMsg?: string;
  /** The low-level cause (a Node system error, a JSON SyntaxError, ...). */
  cause?: unknown;
}

export class KasaError extends Error {
  readonly code: ErrorCode;
  readonly device?: string;
  readonly module?: string;
  readonly method?: string;
  readonly errCode?: number;
  readonly errMsg?: string;

  constructor(code: ErrorCode, message: string, details: KasaErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'KasaError';
    this.code = code;
    if (details.device !== undefined) this.device = details.device;
    if (details.module !== undefined) this.module = details.module;
    if (details.method !== undefined) this.method = details.method;
    if (details.errCode !== undefined) this.errCode = details.errCode;
    if (details.errMsg !== undefined) this.errMsg = details.errMsg;
  }
}

export function isKasaError(value: unknown): value is KasaError {
  return value instanceof KasaError;
}

/**
 * RESET for a command (not a read) that a broken connection left without a complete answer: the
 * device may have run it, and it is not sent again, so the message says both.
 */
export function commandMayHaveRun(broken: KasaError, device: string): KasaError {
  return new KasaError(
    ErrorCode.RESET,
    `${broken.message} The command may or may not have run; it was not sent again, so it cannot have run twice.`,
    { device, cause: broken },
  );
}

/** Maps a Node.js socket error to a KasaError a person can act on. */
export function fromSocketError(err: NodeJS.ErrnoException, device: string): KasaError {
  switch (err.code) {
    case 'ECONNREFUSED':
      return new KasaError(
        ErrorCode.REFUSED,
        `${device} refused the connection. Check the address and port; a plug with firmware from 2024 on may have port 9999 closed (enable "Third-Party Compatibility" in the Kasa app).`,
        { device, cause: err },
      );
    case 'ECONNRESET':
    case 'EPIPE':
      return new KasaError(ErrorCode.RESET, `${device} closed the connection before the reply was complete.`, {
        device,
        cause: err,
      });
    case 'ETIMEDOUT':
      return new KasaError(ErrorCode.TIMEOUT, `${device} did not answer (connection timed out).`, { device, cause: err });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
    case 'EADDRNOTAVAIL':
      return new KasaError(ErrorCode.UNREACHABLE, `${device} cannot be reached (${err.code}). Is it on this network?`, {
        device,
        cause: err,
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new KasaError(ErrorCode.UNREACHABLE, `The host name of ${device} could not be resolved.`, {
        device,
        cause: err,
      });
    case 'EADDRINUSE':
      return new KasaError(ErrorCode.NETWORK, `A port needed to talk to ${device} is already in use by another program (EADDRINUSE).`, {
        device,
        cause: err,
      });
    case 'EACCES':
    case 'EPERM':
      return new KasaError(ErrorCode.NETWORK, `This system does not permit the network operation to ${device} (${err.code}): ${err.message}.`, {
        device,
        cause: err,
      });
    default:
      // Not a known way for a connection to break: say what the system reported, not "reset".
      return new KasaError(
        ErrorCode.NETWORK,
        `The network operation to ${device} failed${err.code === undefined ? '' : ` (${err.code})`}: ${err.message}`,
        { device, cause: err },
      );
  }
}
