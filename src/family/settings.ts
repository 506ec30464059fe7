import type { TransportSettings } from '../transport/factory';
import type { ExchangeTrace } from '../util/trace';

export interface DeviceSettings extends TransportSettings {
  /** Time allowed for one request (ms). */
  timeoutMs?: number;
  /** Called after every exchange, for trace logs. */
  onExchange?: (trace: ExchangeTrace) => void;
  /**
   * auto: the UDP port asked over TP-Link's discovery before the first request (default 20002,
   * asked only when the device's ports are the standard ones or this is given); null asks nothing.
   */
  tdpPort?: number | null;
}
