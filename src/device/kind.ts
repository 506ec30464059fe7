/** The kinds of device the package knows, whichever protocol family a device speaks. */
export type DeviceKind = 'plug' | 'strip' | 'switch' | 'dimmer' | 'bulb' | 'lightstrip' | 'hub';

/** What a person calls each kind, for messages. */
export const KIND_LABELS: Readonly<Record<DeviceKind, string>> = {
  plug: 'plug',
  strip: 'power strip',
  switch: 'wall switch',
  dimmer: 'wall dimmer',
  bulb: 'bulb',
  lightstrip: 'light strip',
  hub: 'hub',
};

/**
 * What a child of a device is: a strip's outlet, a hub's sensor, switch, button or radiator valve,
 * a KS240's fan or dimmer. Outlets are one kind among them.
 */
export type ChildKind =
  | 'outlet'
  | 'switch'
  | 'dimmer'
  | 'fan'
  | 'motion-sensor'
  | 'contact-sensor'
  | 'leak-sensor'
  | 'climate-sensor'
  | 'button'
  | 'valve'
  | 'unknown';

/** What a person calls each kind of child, for messages. */
export const CHILD_KIND_LABELS: Readonly<Record<ChildKind, string>> = {
  outlet: 'outlet',
  switch: 'switch',
  dimmer: 'dimmer',
  fan: 'fan',
  'motion-sensor': 'motion sensor',
  'contact-sensor': 'door or window sensor',
  'leak-sensor': 'water leak sensor',
  'climate-sensor': 'temperature and humidity sensor',
  button: 'button',
  valve: 'radiator valve',
  unknown: 'device',
};
