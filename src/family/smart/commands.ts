import { isObject } from '../../util/json';
import type { SmartRequest } from './envelope';

/**
 * The SMART methods this package sends itself, as builders, and the rules a raw `{method, params}`
 * from a flow goes through: which methods only read, which are destructive.
 */
export const smartCommands = {
  componentNego: (): SmartRequest => ({ method: 'component_nego' }),
  getDeviceInfo: (): SmartRequest => ({ method: 'get_device_info' }),
  setDeviceOn: (on: boolean): SmartRequest => ({ method: 'set_device_info', params: { device_on: on } }),
  /** The nickname travels base64-encoded, as the device sends it. */
  setNickname: (nickname: string): SmartRequest => ({
    method: 'set_device_info',
    params: { nickname: Buffer.from(nickname, 'utf8').toString('base64') },
  }),
  getChildDeviceList: (): SmartRequest => ({ method: 'get_child_device_list' }),
  getEnergyUsage: (): SmartRequest => ({ method: 'get_energy_usage' }),
  getCurrentPower: (): SmartRequest => ({ method: 'get_current_power' }),
  getEmeterData: (): SmartRequest => ({ method: 'get_emeter_data' }),
  /** interval: 60 hourly, 1440 daily, 43200 monthly; timestamps in seconds. */
  getEnergyData: (startTimestamp: number, endTimestamp: number, interval: number): SmartRequest => ({
    method: 'get_energy_data',
    params: { start_timestamp: startTimestamp, end_timestamp: endTimestamp, interval },
  }),
  /** `params: {}` is required: a P110 answers -1008 to none. */
  getCountdownRules: (): SmartRequest => ({ method: 'get_countdown_rules', params: {} }),
  addCountdown: (delaySeconds: number, on: boolean): SmartRequest => ({
    method: 'add_countdown_rule',
    params: { enable: true, delay: delaySeconds, desired_states: { on } },
  }),
  getTime: (): SmartRequest => ({ method: 'get_device_time' }),
  reboot: (): SmartRequest => ({ method: 'device_reboot' }),
  factoryReset: (): SmartRequest => ({ method: 'device_reset' }),
};

/**
 * Destructive methods by name: a reset or reboot, firmware download or update, Wi-Fi and quick
 * setup (set_qs_info rewrites network and account binding), cloud and account binding, erasing
 * data, and unpairing children. Names are matched by the words in them rather than a closed list,
 * because firmware varies (fw_download, firmware_update, set_wireless_info, ...) and a method
 * wrongly treated as destructive only needs the flow to opt in, while the reverse could brick a
 * setup. A `get_*` method only reads and is never destructive.
 */
const DESTRUCTIVE_WORDS =
  /(reset|reboot|restart|firmware|fw_|upgrade|wifi|wireless|qs_info|cloud|account|bind|erase|clear|factory|remove_child|delete_all)/i;

/** The methods sent only to the transport or session layer: a flow never sends them itself. */
export const SMART_TRANSPORT_METHODS: ReadonlySet<string> = new Set(['handshake', 'login_device', 'securePassthrough']);

/** True when `method` is destructive (see DESTRUCTIVE_WORDS). */
export function isSmartDestructiveMethod(method: string): boolean {
  if (method === UNCHECKED) return true;
  return !isSmartReadMethod(method) && DESTRUCTIVE_WORDS.test(method);
}

/** get_* and component_nego only read. */
export function isSmartReadMethod(method: string): boolean {
  return method.startsWith('get_') || method === 'component_nego';
}

/** Entries of a request walked at most: batches that share one inner batch make paths without end. */
const MAX_WALKED = 10_000;

/**
 * Every method a request would run, looking inside multipleRequest and control_child (whose
 * requestData may itself be a batch); bounded, so a hostile request cannot make the walk long:
 * by the entries visited, not only the methods found, since a batch of batches that all refer to
 * one inner batch is small in memory and has 100^5 paths below the depth limit.
 */
export function smartMethodsOf(request: SmartRequest): string[] {
  const found: string[] = [];
  // The entries still to visit and their depths, side by side: no object per entry (every request is walked).
  const values: unknown[] = [request];
  const depths: number[] = [0];
  let walked = 0;
  while (values.length > 0 && found.length < 1000 && walked++ < MAX_WALKED) {
    const value = values.pop();
    const depth = depths.pop()!;
    if (!isObject(value) || typeof value['method'] !== 'string') continue;
    const method = value['method'];
    const params = value['params'];
    if (depth > 4) {
      markUnchecked(found);
      continue;
    }
    if (method === 'multipleRequest' && isObject(params) && Array.isArray(params['requests'])) {
      const inner = params['requests'];
      if (inner.length > 100) markUnchecked(found);
      for (let i = 0; i < inner.length && i < 100; i++) {
        values.push(inner[i]);
        depths.push(depth + 1);
      }
    } else if (method === 'control_child' && isObject(params) && isObject(params['requestData'])) {
      values.push(params['requestData']);
      depths.push(depth + 1);
    } else {
      found.push(method);
    }
  }
  if (values.length > 0) markUnchecked(found);
  return found;
}

/** Notes, once, that some methods of a request went unchecked. */
function markUnchecked(found: string[]): void {
  if (!found.includes(UNCHECKED)) found.push(UNCHECKED);
}

/**
 * Stands for the methods of a request too large or too deep to walk: it counts as destructive and
 * never as a read, so what could not be checked needs the flow's permission and is never retried.
 */
export const UNCHECKED = '(methods too many or too deeply nested to check)';

/** The destructive methods a request (a batch, a control_child) would run. */
export function smartDestructiveMethods(request: SmartRequest): string[] {
  return smartMethodsOf(request).filter(isSmartDestructiveMethod);
}

/**
 * True when every method of the request only reads: sending it twice does no harm, so it may be
 * retried after a broken connection or a new session. Anything else could run twice.
 */
export function isSmartReadOnly(request: SmartRequest): boolean {
  const method: unknown = request.method;
  // A single call, as a poll nearly always is: nothing inside it to walk.
  if (typeof method === 'string' && method !== 'multipleRequest' && method !== 'control_child') return isSmartReadMethod(method);
  const methods = smartMethodsOf(request);
  return methods.length > 0 && methods.every(isSmartReadMethod);
}
