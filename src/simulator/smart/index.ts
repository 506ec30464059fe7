/** Simulated SMART devices (Tapo P110, P110M, P300; Kasa KP125M) served over KLAP v2 or AES. */
export { SmartDevice } from './device';
export type { SmartDeviceOptions } from './device';
export { SMART_MODEL_NAMES, SMART_MODELS, isSmartModelName, smartModelSpec } from './models';
export type { SmartModelName, SmartModelSpec } from './models';
export { SmartSimulatedDevice } from './server';
export type { SmartSimulatedDeviceOptions } from './server';
