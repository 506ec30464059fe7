import { Device, DeviceReading, MeterReading, Part, SwitchResult, SysinfoRead, Target, partKey } from '../../device/device';
import type { DeviceInfo } from '../../device/state';
import { ErrorCode, KasaError } from '../../util/errors';
import { isObject } from '../../util/json';
import { SmartClient, SmartOutcome, childRequest } from './client';
import { smartCommands } from './commands';
import { ENERGY_COMPONENT, SmartComponents, hasComponent, parseComponents } from './components';
import { decodeBase64Text, normaliseChildren, normaliseSmartDeviceInfo } from './device-info';
import type { SmartRequest } from './envelope';
import { SmartMeter } from './meter';
import { TriggerLogReader } from './trigger-log';
import type { LogRead } from '../../device/child-events';
import { smartModules } from './capabilities';
import { SmartRaw } from './capabilities/basics';
import type { SmartContext } from './capabilities/context';
import { meterReading } from './capabilities/energy';

/**
 * A Tapo plug or strip, or newer Kasa hardware, speaking the SMART dialect: `component_nego` says
 * what it has (read once) and so which modules it gets (family/smart/capabilities), `get_device_info`
 * its state; a strip's outlets come from the paged child list and take their commands through
 * `control_child`.
 */
export class SmartDevice extends Device {
  readonly family = 'smart' as const;
  private components: SmartComponents | undefined;
  /** Each outlet's own components (a P304M meters per outlet), asked once with the device's. */
  private outletComponents: Map<string, SmartComponents> | undefined;
  private timeDiffMinutes = 0;
  private readonly meters = new Map<string, SmartMeter>();
  /** The device refuses control_child inside a batch: outlets' commands go alone. */
  private childCommandsApart = false;
  /** How the last child list came: entries a page, and how many in all (a hub lists a few a page). */
  private childPaging: { pageSize: number; sum: number } | undefined;

  constructor(
    readonly client: SmartClient,
    readonly host: string,
  ) {
    super();
    this.modules = { raw: new SmartRaw(client) };
  }

  get address(): string {
    return this.client.address;
  }

  close(): Promise<void> {
    return this.client.close();
  }

  /** What the device has, asked once: its components, and its outlets' where it has any. */
  protected async learnModules(): Promise<void> {
    await this.knownComponents();
  }

  private async knownComponents(): Promise<SmartComponents> {
    if (this.components === undefined) {
      // The device information comes in the same batch: what the device is named in messages from the start.
      const [nego, first] = await this.client.callMany([{ method: 'component_nego' }, smartCommands.getDeviceInfo()]);
      if (nego?.result === undefined) throw nego?.error ?? new KasaError(ErrorCode.PROTOCOL, `${this.address} did not answer component_nego.`);
      const components = parseComponents(nego.result);
      const parent = hasComponent(components, 'control_child');
      const childComponents = parent ? await this.componentsOfOutlets() : new Map<string, SmartComponents>();
      this.components = components;
      const type = typeof first?.result?.['type'] === 'string' ? first.result['type'] : '';
      this.modules = { raw: this.modules.raw!, ...smartModules(this.context(), { components, childComponents, type }) };
      // What the device is, for messages, until its first full read (a strip's or hub's children come with that).
      if (first?.result !== undefined && this.lastInfo === undefined) {
        this.lastInfo = normaliseSmartDeviceInfo(first.result, { hasEnergyMeter: this.has('energy'), ...(parent ? { children: [] } : {}) });
      }
    }
    return this.components;
  }

  async getSysinfo(): Promise<SysinfoRead> {
    const { info, result, children } = await this.readInfo(NO_REQUESTS);
    return { info, raw: decodedAs(result, info), children: (children ?? []).map(decoded) };
  }

  /**
   * get_device_info and a strip's child list (its first page; further pages after), with `writes`
   * before them and `extra` requests after them in the same batch: a command and its read-back, or
   * a poll's meter, in one round trip. A write the device refused fails the whole call, unread.
   */
  private async readInfo(extra: readonly SmartRequest[], writes: readonly SmartRequest[] = NO_REQUESTS): Promise<InfoRead> {
    // Known after the first use: no await then, one step less for every command and poll.
    const components = this.components ?? (await this.knownComponents());
    const parent = hasComponent(components, 'control_child');
    const childLists = parent ? this.childListRequests() : NO_REQUESTS;
    // In the batch: the writes, get_device_info, the child list's pages, then `extra`.
    const all = await this.client.callMany(writes.concat(smartCommands.getDeviceInfo(), childLists, extra));
    for (let i = 0; i < writes.length; i++) {
      const outcome = all[i]!;
      if (outcome.error !== undefined) throw outcome.error;
      if (writes[i]!.method === 'control_child') this.client.childResult(outcome.result, writes[i]!);
    }
    const first = all[writes.length];
    const listsFrom = writes.length + 1;
    const extraFrom = listsFrom + childLists.length;
    if (first?.result === undefined) throw first?.error ?? new KasaError(ErrorCode.PROTOCOL, `${this.address} did not answer get_device_info.`);
    const result = first.result;
    const outcomes = all.slice(extraFrom);
    // A strip that meters per outlet has a meter, though not one of its own.
    const hasEnergyMeter = this.has('energy');
    let read: InfoRead;
    if (parent) {
      const children = (await this.childListFrom(all.slice(listsFrom, extraFrom))).filter(isObject);
      read = { info: normaliseSmartDeviceInfo(result, { hasEnergyMeter, children: normaliseChildren(children) }), result, children, outcomes };
    } else {
      read = { info: normaliseSmartDeviceInfo(result, { hasEnergyMeter }), result, outcomes };
    }
    if (typeof result['time_diff'] === 'number' && Number.isFinite(result['time_diff'])) this.timeDiffMinutes = result['time_diff'];
    this.lastInfo = read.info;
    return read;
  }

  /**
   * The child list's pages to ask in one batch: the first, and those the last read showed (a hub
   * lists a few children a page), so a poll needs no round trip per page.
   */
  private childListRequests(): SmartRequest[] {
    const later: SmartRequest[] = [];
    const paging = this.childPaging;
    if (paging !== undefined && paging.pageSize > 0) {
      for (let start = paging.pageSize; start < paging.sum && later.length < 10; start += paging.pageSize) {
        later.push({ method: CHILD_LIST, params: { start_index: start } });
      }
    }
    return [{ method: CHILD_LIST }, ...later];
  }

  /** The whole child list from the pages asked in the batch; pages still missing (the list grew) are asked after. */
  private async childListFrom(lists: readonly SmartOutcome[]): Promise<unknown[]> {
    const [listed, ...later] = lists;
    if (listed?.result === undefined) throw listed?.error ?? new KasaError(ErrorCode.PROTOCOL, `${this.address} did not answer ${CHILD_LIST}.`);
    const first = listed.result;
    const firstPage = first[CHILD_LIST_KEY];
    if (!Array.isArray(firstPage)) return await this.client.pagedFrom(first, CHILD_LIST, CHILD_LIST_KEY);
    const entries: unknown[] = [...firstPage];
    for (const page of later) {
      const list = page.result?.[CHILD_LIST_KEY];
      if (!Array.isArray(list) || list.length === 0 || page.result?.['start_index'] !== entries.length) break;
      entries.push(...list);
    }
    if (typeof first['sum'] === 'number') this.childPaging = { pageSize: firstPage.length, sum: first['sum'] };
    return await this.client.pagedFrom({ ...first, [CHILD_LIST_KEY]: entries }, CHILD_LIST, CHILD_LIST_KEY);
  }

  /**
   * A command to the device or each outlet of the part, and the state read back, in one batch. A
   * device that knows control_child only on its own (it answers "unknown method" in a batch, so the
   * command did not run) gets its outlets' commands apart from then on, and the state read after.
   */
  private writeAndRead(part: Part, request: SmartRequest | readonly SmartRequest[]): Promise<SwitchResult> {
    const requests: readonly SmartRequest[] = Array.isArray(request) ? request : [request as SmartRequest];
    // The device itself (a switch, a dim, a rename): nothing to fall back on, so no step of its own.
    return part.outlets.length === 0 ? this.stateAfter(part, requests) : this.writeAndReadOutlets(part, requests);
  }

  /** `writes`, then the state read back, in one batch. */
  private async stateAfter(part: Part, writes: readonly SmartRequest[]): Promise<SwitchResult> {
    return part.stateIn((await this.readInfo(NO_REQUESTS, writes)).info);
  }

  private async writeAndReadOutlets(part: Part, requests: readonly SmartRequest[]): Promise<SwitchResult> {
    if (this.childCommandsApart) {
      for (const each of requests) await this.each(part, each);
      return part.stateIn((await this.readInfo(NO_REQUESTS)).info);
    }
    try {
      return await this.stateAfter(part, requests.flatMap((each) => part.outlets.map((outlet) => childRequest(outlet.id, each))));
    } catch (err) {
      if (!(err instanceof KasaError) || err.errCode !== UNKNOWN_METHOD || err.method !== 'control_child') throw err;
      this.childCommandsApart = true;
      return await this.writeAndReadOutlets(part, requests);
    }
  }

  /**
   * State and the device's own meter in one batch, with a hub's child list and the first page of
   * each watched child's event log; each outlet's meter through control_child; older log pages after.
   */
  protected async pollState(wanted: ReadonlyArray<(info: DeviceInfo) => readonly Target[]>, logs?: (info: DeviceInfo) => ReadonlyMap<string, number | undefined>): Promise<DeviceReading> {
    const meters = new Map<string, MeterReading | KasaError>();
    // The device's own meter joins the state's batch; a strip that meters only per outlet has none.
    const wholeMeter = this.lastInfo?.hasEnergyMeter === true && Device.partsOf(wanted, this.lastInfo).some((part) => partKey(part) === '');
    const meter = wholeMeter && hasComponent(await this.knownComponents(), ENERGY_COMPONENT) ? await this.meterOf(this) : undefined;
    const meterRequests = meter?.plannedRequests() ?? [];
    // The children named from the last child list go in the state's batch; before one was read
    // (the first poll), they are asked right after it.
    const known = this.lastInfo?.children !== undefined && this.lastInfo.children.length > 0 ? this.lastInfo : undefined;
    let readers = logs !== undefined && known !== undefined ? await this.logReaders(logs(known)) : [];
    const batched = this.childCommandsApart ? [] : readers.map((reader) => reader.first());
    const { info, outcomes } = await this.readInfo([...meterRequests, ...batched]);
    if (meter !== undefined) {
      try {
        meters.set('', meterReading(this, await meter.readFrom(outcomes.slice(0, meterRequests.length))));
      } catch (err) {
        if (!(err instanceof KasaError)) throw err;
        meters.set('', err);
      }
    }
    let firstPages = outcomes.slice(meterRequests.length);
    if (logs !== undefined && known === undefined) {
      readers = await this.logReaders(logs(info));
      firstPages = [];
    }
    const logReads = readers.length === 0 ? undefined : await this.readLogs(readers, firstPages);
    await this.readMeters(Device.partsOf(wanted, info), meters);
    return { info, meters, ...(logReads === undefined ? {} : { logs: logReads }) };
  }

  /** A reader for each child asked whose components include a trigger log. */
  private async logReaders(logs: ReadonlyMap<string, number | undefined>): Promise<TriggerLogReader[]> {
    if (logs.size === 0) return [];
    const components = await this.componentsOfOutlets();
    return [...logs].filter(([id]) => hasComponent(components.get(id) ?? new Map(), 'trigger_log')).map(([id, after]) => new TriggerLogReader(id, after));
  }

  /**
   * Reads each child's log pages until each reader is done: the first pages' outcomes come from the
   * poll's batch (`firstOutcomes`, empty when they could not go in one), later pages in batches of
   * their own. A child that refuses gets its error; the others go on.
   */
  private async readLogs(readers: readonly TriggerLogReader[], firstOutcomes: readonly SmartOutcome[]): Promise<Map<string, LogRead | KasaError>> {
    const reads = new Map<string, LogRead | KasaError>();
    let round = readers.map((reader) => ({ reader, request: reader.first() }));
    let given: readonly SmartOutcome[] | undefined = firstOutcomes.length === round.length ? firstOutcomes : undefined;
    while (round.length > 0) {
      const answers = await this.childCalls(
        round.map((step) => step.request),
        given,
      );
      given = undefined;
      const next: typeof round = [];
      round.forEach(({ reader }, i) => {
        const answer = answers[i]!;
        if (answer instanceof KasaError) return void reads.set(reader.childId, answer);
        const request = reader.take(answer);
        if (request === undefined) reads.set(reader.childId, reader.result());
        else next.push({ reader, request });
      });
      round = next;
    }
    return reads;
  }

  /**
   * The children's own results of control_child reads: from `given` outcomes of a batch, else in a
   * batch of their own where the device takes control_child in batches, else one at a time. A child's
   * refusal is its answer; a failure of the connection fails the whole call.
   */
  private async childCalls(requests: readonly SmartRequest[], given?: readonly SmartOutcome[]): Promise<Array<Record<string, unknown> | KasaError>> {
    const outcomes = given ?? (this.childCommandsApart || requests.length === 1 ? [] : await this.client.callMany(requests));
    const answers: Array<Record<string, unknown> | KasaError> = [];
    for (const [i, request] of requests.entries()) {
      const outcome = outcomes[i];
      const refused = outcome?.error?.errCode === UNKNOWN_METHOD;
      // The device takes control_child only alone: reads are safe to ask again, so they are.
      if (refused) this.childCommandsApart = true;
      try {
        if (outcome === undefined || refused) answers.push(this.client.childResult(await this.client.call(request.method, request.params), request));
        else if (outcome.error !== undefined) answers.push(outcome.error);
        else answers.push(this.client.childResult(outcome.result, request));
      } catch (err) {
        if (!(err instanceof KasaError) || (err.errCode === undefined && err.code !== ErrorCode.PROTOCOL)) throw err;
        answers.push(err);
      }
    }
    return answers;
  }

  /** The meter of the device, or of one outlet (which has one only where the strip meters per outlet). */
  private meterOf(part: Part): Promise<SmartMeter> {
    const key = partKey(part);
    const meter = this.meters.get(key);
    // Known after the first reading: no step of its own for every poll after it.
    if (meter === undefined) return this.newMeter(key);
    return meter.present ? Promise.resolve(meter) : Promise.reject(this.noMeter());
  }

  private async newMeter(key: string): Promise<SmartMeter> {
    const meter =
      key === ''
        ? new SmartMeter(this.client, await this.knownComponents())
        : new SmartMeter(this.client, (await this.componentsOfOutlets()).get(key) ?? new Map(), key);
    this.meters.set(key, meter);
    if (!meter.present) throw this.noMeter();
    return meter;
  }

  /** The outlets' components, from the paged get_child_device_component_list, asked once. */
  private async componentsOfOutlets(): Promise<Map<string, SmartComponents>> {
    if (this.outletComponents === undefined) {
      const list = await this.client.paged('get_child_device_component_list', 'child_component_list');
      this.outletComponents = new Map(
        list.filter(isObject).flatMap((entry) => (typeof entry['device_id'] === 'string' ? [[entry['device_id'], parseComponents(entry)] as const] : [])),
      );
    }
    return this.outletComponents;
  }

  /** One request to the device, or the same request to each outlet through control_child. */
  private async each(part: Part, request: SmartRequest): Promise<Record<string, unknown>[]> {
    if (part.outlets.length === 0) return [await this.client.call(request.method, request.params)];
    const results: Record<string, unknown>[] = [];
    for (const outlet of part.outlets) results.push(await this.client.controlChild(outlet.id, request.method, request.params));
    return results;
  }

  /** What the capability modules use of this device. */
  private context(): SmartContext {
    const timeDiff = (): number => this.timeDiffMinutes;
    const components = (): SmartComponents => this.components ?? new Map();
    const info = (): DeviceInfo | undefined => this.lastInfo;
    return {
      get info(): DeviceInfo | undefined {
        return info();
      },
      address: this.address,
      client: this.client,
      get components(): SmartComponents {
        return components();
      },
      get timeDiffMinutes(): number {
        return timeDiff();
      },
      each: (part, request) => this.each(part, request),
      writeAndRead: (part, request) => this.writeAndRead(part, request),
      getSysinfo: () => this.getSysinfo(),
      meterOf: (part) => this.meterOf(part),
      describe: () => this.describe(),
      cannot: (what) => this.cannot(what),
    };
  }
}

/** get_device_info read (with a strip's or hub's child list), and the outcomes of what came in the same batch after it. */
interface InfoRead {
  info: DeviceInfo;
  /** get_device_info's result as sent. */
  result: Record<string, unknown>;
  /** The child list's entries that are objects, for a device with children. */
  children?: Record<string, unknown>[];
  outcomes: SmartOutcome[];
}

const NO_REQUESTS: readonly SmartRequest[] = [];

/** SMART's "unknown method": the device did not run what it was asked. */
const UNKNOWN_METHOD = -1002;
const CHILD_LIST = 'get_child_device_list';
const CHILD_LIST_KEY = 'child_device_list';

/** The device's information as sent, with its base64 texts (nickname, ssid) decoded for people. */
function decoded(raw: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...raw };
  for (const key of ['nickname', 'ssid']) if (typeof copy[key] === 'string') copy[key] = decodeBase64Text(copy[key]);
  return copy;
}

/** The same, with the texts `info` decoded from this very `raw` (normaliseSmartDeviceInfo): not decoded twice. */
function decodedAs(raw: Record<string, unknown>, info: DeviceInfo): Record<string, unknown> {
  const copy = { ...raw };
  if (typeof raw['nickname'] === 'string') copy['nickname'] = info.alias;
  if (typeof raw['ssid'] === 'string') copy['ssid'] = info.ssid;
  return copy;
}
