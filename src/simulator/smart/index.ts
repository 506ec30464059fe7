/** Simulated SMART devices (Tapo plugs, strips, dimmers, lights and hubs; Kasa KP125M, KS225, KH100) served over KLAP v2 or AES. */
export { SmartDevice } from './device';
export type { SmartDeviceOptions } from './device';
export { SMART_MODEL_NAMES, SMART_MODELS, isSmartModelName, smartModelSpec } from './models';
export type { SmartModelName, SmartModelSpec } from './models';
export { SmartSimulatedDevice } from './server';
export type { SmartSimulatedDeviceOptions } from './server';
export { SimHub, SimHubChild } from './hub';
export type { TriggerLogEntry } from './hub';
export { HUB_CHILD_KINDS, HUB_CHILD_KIND_SPECS } from './hub-kinds';
export type { HubChildKind, HubEvent, HubEventType } from './hub-kinds';
export { DEMO_EVENTS, fireOn, parseHubCommand } from './hub-commands';
export { SimLight } from './light';
export { SimBulbEffect, SimSegmentEffect, SimStripEffect } from './effects';
