/** The SMART dialect (Tapo, and Kasa hardware from about 2023) over KLAP v2. Nothing here imports Node-RED. */
export { SMART_DEFAULT_TIMEOUT_MS, SMART_MAX_BATCH, SMART_MAX_PAGES, SmartClient } from './client';
export type { SmartClientOptions, SmartExchange, SmartOutcome } from './client';
export {
  SMART_TRANSPORT_METHODS,
  isSmartDestructiveMethod,
  isSmartReadMethod,
  isSmartReadOnly,
  smartCommands,
  smartDestructiveMethods,
  smartMethodsOf,
} from './commands';
export { ENERGY_COMPONENT, energyMethods, hasComponent, parseComponents } from './components';
export type { SmartComponents } from './components';
export { decodeBase64Text, normaliseChildList, normaliseMac, normaliseSmartDeviceInfo } from './device-info';
export type { SmartInfoOptions } from './device-info';
export { ENERGY_INTERVAL, combineSmartEnergy, energyDataParams, normaliseEnergyData } from './energy';
export type { SmartEnergyParts, SmartEnergyReading } from './energy';
export { buildSmartRequest, checkSmartRequest, newTerminalUuid, parseSmartReply, readSmartReply } from './envelope';
export type { SmartReply, SmartRequest } from './envelope';
export { SMART_CLASS_CODES, smartError, smartErrorClass } from './errors';
export type { SmartErrorClass } from './errors';
export { SmartMeter } from './meter';
