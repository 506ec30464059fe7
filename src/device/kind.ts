/** The kinds of device the package knows, whichever protocol family a device speaks. */
export type DeviceKind = 'plug' | 'strip' | 'switch' | 'dimmer' | 'bulb' | 'lightstrip';

/** What a person calls each kind, for messages. */
export const KIND_LABELS: Readonly<Record<DeviceKind, string>> = {
  plug: 'plug',
  strip: 'power strip',
  switch: 'wall switch',
  dimmer: 'wall dimmer',
  bulb: 'bulb',
  lightstrip: 'light strip',
};
