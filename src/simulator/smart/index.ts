/** Simulated SMART devices (Tapo plugs, strips, dimmers and lights; Kasa KP125M, KS225) served over KLAP v2 or AES. */
export { SmartDevice } from './device';
export type { SmartDeviceOptions } from './device';
export { SMART_MODEL_NAMES, SMART_MODELS, isSmartModelName, smartModelSpec } from './models';
export type { SmartModelName, SmartModelSpec } from './models';
export { SmartSimulatedDevice } from './server';
export type { SmartSimulatedDeviceOptions } from './server';
