/**
 * The kinds of child a simulated hub (H100, KH100) carries, as data: model, category, type,
 * components, the readings its list entry has, and the events it can be made to fire. Written
 * from the documented shapes of real children; values are plausible, not copies of a unit.
 */

export const HUB_CHILD_KINDS = ['motion', 'contact', 'leak', 'climate', 'button', 'switch', 'trv'] as const;
export type HubChildKind = (typeof HUB_CHILD_KINDS)[number];

/**
 * What can happen to a child. Sensor events (motion, open, close, keepOpen, leak, dry,
 * singleClick, doubleClick, rotation) add a trigger-log entry; temperature and humidity change
 * the readings (and log tooDry/tooHumid/tooHot/tooCold when they leave the comfort range);
 * battery and status changes only change the readings (whether hubs log them is unverified).
 */
export type HubEvent =
  | { type: 'motion' }
  /** The motion sensor sees nothing any more (`detected` false; no log entry). */
  | { type: 'clear' }
  | { type: 'open' }
  | { type: 'close' }
  | { type: 'keepOpen' }
  | { type: 'leak' }
  | { type: 'dry' }
  | { type: 'singleClick' }
  | { type: 'doubleClick' }
  | { type: 'rotation'; degrees: number }
  | { type: 'temperature'; value: number }
  | { type: 'humidity'; value: number }
  | { type: 'lowBattery' }
  | { type: 'batteryOk' }
  | { type: 'offline' }
  | { type: 'online' };
export type HubEventType = HubEvent['type'];

export interface HubChildKindSpec {
  kind: HubChildKind;
  model: string;
  category: string;
  type: 'SMART.TAPOSENSOR' | 'SMART.TAPOSWITCH' | 'SMART.KASAENERGY';
  hwVer: string;
  fwVer: string;
  nickname: string;
  /** component_nego's list through control_child (and get_child_device_component_list). */
  components: ReadonlyArray<readonly [string, number]>;
  /** The readings its list entry and get_device_info start with. */
  initial: Readonly<Record<string, unknown>>;
  /** `battery_percentage` is reported (T300, T310/T315, S210, KE100; not T100, T110, S200B). */
  batteryPercentage: boolean;
  /** The low-battery flag's name: `at_low_battery`, or `is_low` on the S210. */
  lowBatteryKey: 'at_low_battery' | 'is_low';
  /** The events beyond battery and status that it can fire. */
  events: readonly HubEventType[];
}

/** Every child's own first components. */
const CHILD_COMMON: ReadonlyArray<readonly [string, number]> = [
  ['device', 2],
  ['quick_setup', 3],
  ['time', 1],
  ['device_local_time', 1],
  ['account', 1],
  ['synchronize', 1],
  ['cloud_connect', 1],
  ['iot_cloud', 1],
  ['firmware', 1],
];
const SENSOR: ReadonlyArray<readonly [string, number]> = [...CHILD_COMMON, ['trigger_log', 1], ['localSmart', 1], ['battery_detect', 1]];

/** Status and battery events every child has. */
export const COMMON_EVENTS: readonly HubEventType[] = ['lowBattery', 'batteryOk', 'offline', 'online'];

export const HUB_CHILD_KIND_SPECS: Readonly<Record<HubChildKind, HubChildKindSpec>> = {
  motion: {
    kind: 'motion',
    model: 'T100',
    category: 'subg.trigger.motion-sensor',
    type: 'SMART.TAPOSENSOR',
    hwVer: '1.0',
    fwVer: '1.12.0 Build 230512 Rel.091122',
    nickname: 'Hallway motion',
    components: [...SENSOR, ['sensitivity', 1]],
    initial: { detected: false, report_interval: 60 },
    batteryPercentage: false,
    lowBatteryKey: 'at_low_battery',
    events: ['motion', 'clear'],
  },
  contact: {
    kind: 'contact',
    model: 'T110',
    category: 'subg.trigger.contact-sensor',
    type: 'SMART.TAPOSENSOR',
    hwVer: '1.0',
    fwVer: '1.9.0 Build 230704 Rel.120105',
    nickname: 'Front door',
    components: SENSOR,
    initial: { open: false, report_interval: 16 },
    batteryPercentage: false,
    lowBatteryKey: 'at_low_battery',
    events: ['open', 'close', 'keepOpen'],
  },
  leak: {
    kind: 'leak',
    model: 'T300',
    category: 'subg.trigger.water-leak-sensor',
    type: 'SMART.TAPOSENSOR',
    hwVer: '1.0',
    fwVer: '1.7.0 Build 230628 Rel.101513',
    nickname: 'Under the sink',
    components: [...SENSOR, ['sensor_alarm', 1]],
    initial: { water_leak_status: 'water_dry', in_alarm: false, report_interval: 16 },
    batteryPercentage: true,
    lowBatteryKey: 'at_low_battery',
    events: ['leak', 'dry'],
  },
  climate: {
    kind: 'climate',
    model: 'T315',
    category: 'subg.trigger.temp-hmdt-sensor',
    type: 'SMART.TAPOSENSOR',
    hwVer: '1.0',
    fwVer: '1.8.0 Build 230921 Rel.103317',
    nickname: 'Living room climate',
    components: [
      ...SENSOR,
      ['temperature', 1],
      ['humidity', 1],
      ['temp_humidity_record', 1],
      ['comfort_temperature', 1],
      ['comfort_humidity', 1],
      ['report_mode', 1],
    ],
    initial: { current_temp: 21.5, temp_unit: 'celsius', current_humidity: 48, current_temp_exception: 0, current_humidity_exception: 0, report_interval: 16 },
    batteryPercentage: true,
    lowBatteryKey: 'at_low_battery',
    events: ['temperature', 'humidity'],
  },
  button: {
    kind: 'button',
    model: 'S200B',
    category: 'subg.trigger.button',
    type: 'SMART.TAPOSENSOR',
    hwVer: '1.0',
    fwVer: '1.12.0 Build 231024 Rel.164811',
    nickname: 'Bedside button',
    components: [...SENSOR, ['double_click', 1]],
    initial: { report_interval: 16 },
    batteryPercentage: false,
    lowBatteryKey: 'at_low_battery',
    events: ['singleClick', 'doubleClick', 'rotation'],
  },
  // A battery wall switch that is itself switchable (device_on through control_child).
  switch: {
    kind: 'switch',
    model: 'S210',
    category: 'subg.plugswitch.switch',
    type: 'SMART.TAPOSWITCH',
    hwVer: '1.0',
    fwVer: '1.9.0 Build 231106 Rel.103822',
    nickname: 'Stairs switch',
    components: [
      ...CHILD_COMMON,
      ['trigger_log', 1],
      ['schedule', 2],
      ['countdown', 2],
      ['antitheft', 1],
      ['sunrise_sunset', 1],
      ['delay_action', 1],
      ['battery_detect', 1],
      ['localSmart', 1],
    ],
    initial: { device_on: false, position: 1, slot_number: 1, led_off: 0 },
    batteryPercentage: true,
    lowBatteryKey: 'is_low',
    events: ['singleClick'],
  },
  // A radiator valve: no trigger log; set_device_info for target_temp and frost_protection_on.
  trv: {
    kind: 'trv',
    model: 'KE100',
    category: 'subg.trv',
    type: 'SMART.KASAENERGY',
    hwVer: '1.0',
    fwVer: '2.8.0 Build 240202 Rel.111702',
    nickname: 'Radiator',
    components: [
      ...CHILD_COMMON,
      ['schedule', 2],
      ['countdown', 2],
      ['frost_protection', 1],
      ['child_protection', 1],
      ['temperature', 1],
      ['temp_control', 1],
      ['battery_detect', 1],
      ['temperature_correction', 1],
      ['window_open_detect', 2],
    ],
    initial: {
      current_temp: 19.5,
      target_temp: 21,
      frost_protection_on: false,
      min_control_temp: 5,
      max_control_temp: 30,
      temp_offset: 0,
      temp_unit: 'celsius',
      child_protection: false,
    },
    batteryPercentage: true,
    lowBatteryKey: 'at_low_battery',
    events: ['temperature'],
  },
};

/** The comfort ranges of the climate sensor (plausible values; the real defaults are unverified). */
export const COMFORT = { temperature: [18, 26], humidity: [40, 60] } as const;
