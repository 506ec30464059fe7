/** The TP-Link Smart Home device simulator used by tests, the demo and benchmarks. */
export { DeviceState } from './device-state';
export type { BrightnessEvent, DeviceStateOptions, LightEvent, RelayEvent } from './device-state';
export { FAULT_KINDS, FaultQueue, parseFault, validateFault } from './faults';
export type { Fault, FaultKind, FaultOptions } from './faults';
export { startFleet, MAX_FLEET_SIZE } from './fleet';
export type { Fleet, FleetOptions } from './fleet';
export { LIGHT_MODEL_NAMES, MODEL_NAMES, MODELS, PLUG_MODEL_NAMES, isModelName, modelSpec } from './models';
export type { MeterUnits, ModelName, ModelSpec } from './models';
export { DEFAULT_MAX_REQUEST_BYTES, DEFAULT_SIMULATOR_HOST, SimulatedDevice } from './server';
export type { RequestInfo, SimulatedDeviceOptions, SimulatorStats } from './server';
export { TdpResponder, isDiscoveryQuery, tdpOwnerOf } from './tdp-responder';
export type { TdpResponderOptions } from './tdp-responder';
export type { NewFirmwareOptions } from './server';
export { HUB_CHILD_KINDS, SMART_MODEL_NAMES, SimHub, SmartDevice, SmartSimulatedDevice, isSmartModelName, parseHubCommand } from './smart';
export type { HubChildKind, HubEvent, SmartDeviceOptions, SmartModelName, SmartSimulatedDeviceOptions, TriggerLogEntry } from './smart';
