import { seededInt } from '../models';
import type { DeviceCore } from './core';
import { ERR_ARGUMENT, Json, MethodTable, SimModule } from './module';

/**
 * `system`: sysinfo, relays, names, LED, location, icon, identity writes, firmware. It lays out
 * sysinfo in the order real units send it; other modules fill in or add their fields.
 */
export class SystemModule implements SimModule {
  readonly methods: Readonly<Record<string, MethodTable>>;
  private ledOff = 0;
  private latitude = 0;
  private longitude = 0;
  private icon = '';
  private iconHash = '';
  private firmwareUrl = '';

  constructor(private readonly core: DeviceCore) {
    this.reset();
    this.methods = { system: this.table() };
  }

  reset(): void {
    const seed = this.core.seed;
    this.ledOff = 0;
    this.latitude = 52 + (seededInt('lat', seed) % 10_000) / 10_000;
    this.longitude = 4 + (seededInt('lon', seed) % 10_000) / 10_000;
    this.icon = '';
    this.iconHash = '';
    this.firmwareUrl = '';
  }

  /** The base sysinfo; `active_mode` and `feature` are the defaults other modules may change. */
  baseSysinfo(): Json {
    const { core } = this;
    const spec = core.spec;
    if (spec.light !== undefined) return this.bulbSysinfo();
    const info: Json = {
      sw_ver: spec.swVer,
      hw_ver: spec.hwVer,
      [spec.typeKey]: 'IOT.SMARTPLUGSWITCH',
      model: spec.model,
      mac: core.identity.mac,
    };
    if (spec.devName !== undefined) info['dev_name'] = spec.devName;
    info['alias'] = core.alias;
    if (!core.isStrip) {
      info['relay_state'] = core.outlets[0]!.on ? 1 : 0;
      info['on_time'] = core.onTime(core.outlets[0]!);
      info['active_mode'] = 'none';
      info['icon_hash'] = this.iconHash;
    } else {
      info['status'] = 'new';
    }
    info['feature'] = 'TIM';
    info['updating'] = 0;
    info['rssi'] = -40 - (seededInt('rssi', core.seed) % 36);
    info['led_off'] = this.ledOff;
    if (spec.location === 'float') {
      info['latitude'] = this.latitude;
      info['longitude'] = this.longitude;
    } else {
      info['latitude_i'] = Math.round(this.latitude * 10_000);
      info['longitude_i'] = Math.round(this.longitude * 10_000);
    }
    info['hwId'] = core.identity.hwId;
    info['fwId'] = core.identity.fwId;
    info['deviceId'] = core.identity.deviceId;
    info['oemId'] = core.identity.oemId;
    if (core.isStrip) {
      info['children'] = core.outlets.map((outlet) => ({
        id: outlet.id,
        state: outlet.on ? 1 : 0,
        alias: outlet.alias,
        on_time: core.onTime(outlet),
        next_action: { type: -1 },
      }));
      info['child_num'] = spec.outlets;
      info['ntc_state'] = 0;
    }
    return info;
  }

  /**
   * A bulb's or light strip's sysinfo: IOT.SMARTBULB, `mic_mac` without separators, a description
   * instead of dev_name, no relay_state or LED (the light module adds light_state and the rest).
   */
  private bulbSysinfo(): Json {
    const { core } = this;
    const spec = core.spec;
    return {
      sw_ver: spec.swVer,
      hw_ver: spec.hwVer,
      model: spec.model,
      description: spec.light?.description,
      alias: core.alias,
      [spec.typeKey]: 'IOT.SMARTBULB',
      dev_state: 'normal',
      mic_mac: core.identity.mac.replace(/:/g, ''),
      deviceId: core.identity.deviceId,
      oemId: core.identity.oemId,
      hwId: core.identity.hwId,
      is_factory: false,
      disco_ver: '1.0',
      ctrl_protocols: { name: 'Linkie', version: '1.0' },
      active_mode: 'none',
      rssi: -40 - (seededInt('rssi', core.seed) % 36),
      latitude_i: Math.round(this.latitude * 10_000),
      longitude_i: Math.round(this.longitude * 10_000),
    };
  }

  private table(): MethodTable {
    const core = this.core;
    const ok = (): Json => ({});
    const plugOnly: MethodTable =
      core.spec.light !== undefined
        ? {}
        : {
            set_relay_state: {
              perOutlet: true,
              run: (args, target) => {
                const state = args['state'];
                if (state !== 0 && state !== 1) return { ...ERR_ARGUMENT };
                for (const outlet of core.addressed(target)) core.switchOutlet(outlet, state === 1);
                return {};
              },
            },
            set_led_off: {
              run: (args) => {
                const off = args['off'];
                if (off !== 0 && off !== 1) return { ...ERR_ARGUMENT };
                this.ledOff = off;
                return {};
              },
            },
          };
    return {
      ...plugOnly,
      // The composition builds it: every module adds its fields.
      get_sysinfo: { run: () => core.sysinfo() },
      set_dev_alias: {
        perOutlet: true,
        run: (args, target) => {
          const alias = args['alias'];
          if (typeof alias !== 'string' || alias.length > 64) return { ...ERR_ARGUMENT };
          if (target.kind === 'outlets') for (const outlet of target.outlets) outlet.alias = alias;
          else core.alias = alias;
          return {};
        },
      },
      set_dev_location: { run: (args) => this.setLocation(args) },
      reboot: { run: ok },
      reset: {
        run: () => {
          core.resetAll();
          return {};
        },
      },
      get_dev_icon: { run: () => ({ icon: this.icon, hash: this.iconHash }) },
      set_dev_icon: {
        run: (args) => {
          const { icon, hash } = args;
          if (typeof icon !== 'string' || typeof hash !== 'string') return { ...ERR_ARGUMENT };
          this.icon = icon;
          this.iconHash = hash;
          return {};
        },
      },
      set_mac_addr: {
        run: (args) => {
          const mac = args['mac'];
          if (typeof mac !== 'string' || !/^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i.test(mac)) return { ...ERR_ARGUMENT };
          core.identity.mac = mac.toUpperCase().replace(/-/g, ':');
          return {};
        },
      },
      set_device_id: {
        run: (args) => {
          const id = args['deviceId'];
          if (typeof id !== 'string' || !/^[0-9a-f]{40}$/i.test(id)) return { ...ERR_ARGUMENT };
          core.identity.deviceId = id.toUpperCase();
          core.renumberOutlets();
          return {};
        },
      },
      set_hw_id: {
        run: (args) => {
          const id = args['hwId'];
          if (typeof id !== 'string' || !/^[0-9a-f]{32}$/i.test(id)) return { ...ERR_ARGUMENT };
          core.identity.hwId = id.toUpperCase();
          return {};
        },
      },
      set_test_mode: { run: ok },
      download_firmware: {
        run: (args) => {
          const url = args['url'];
          if (typeof url !== 'string') return { ...ERR_ARGUMENT };
          this.firmwareUrl = url;
          return {};
        },
      },
      get_download_state: {
        run: () => ({
          url: this.firmwareUrl,
          status: this.firmwareUrl === '' ? 0 : 3,
          download_progress: this.firmwareUrl === '' ? 0 : 100,
          reboot_time: 0,
          flash_time: 0,
        }),
      },
      flash_firmware: { run: ok },
      check_new_config: { run: ok },
      test_check_uboot: { run: ok },
    };
  }

  private setLocation(args: Json): Json {
    const latitude = typeof args['latitude_i'] === 'number' ? args['latitude_i'] / 10_000 : args['latitude'];
    const longitude = typeof args['longitude_i'] === 'number' ? args['longitude_i'] / 10_000 : args['longitude'];
    if (typeof latitude !== 'number' || typeof longitude !== 'number') return { ...ERR_ARGUMENT };
    if (!(Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180)) return { ...ERR_ARGUMENT };
    this.latitude = latitude;
    this.longitude = longitude;
    return {};
  }
}
