import type { DeviceCore } from './core';
import { ERR_ARGUMENT, Json, MethodTable, SimModule } from './module';

/** `netif`: the Wi-Fi networks in sight and the one the device is told to join. */
export class NetifModule implements SimModule {
  readonly methods: Readonly<Record<string, MethodTable>>;
  private station: Json = {};

  constructor(private readonly core: DeviceCore) {
    this.methods = { netif: this.table() };
  }

  /** The Wi-Fi network the device was last told to join (netif.set_stainfo), if any. */
  get joinedNetwork(): string | undefined {
    const ssid = this.station['ssid'];
    return typeof ssid === 'string' ? ssid : undefined;
  }

  reset(): void {
    this.station = {};
  }

  private table(): MethodTable {
    return {
      get_scaninfo: {
        run: () => ({
          ap_list: [
            { ssid: 'HomeNetwork', key_type: 3 },
            { ssid: 'HomeNetwork-Guest', key_type: 0 },
            { ssid: `TP-LINK_${this.core.identity.mac.replace(/:/g, '').slice(-6)}`, key_type: 3 },
            { ssid: 'Neighbour 5G', key_type: 2 },
          ],
        }),
      },
      set_stainfo: {
        run: (args) => {
          const { ssid, password, key_type: keyType } = args;
          if (typeof ssid !== 'string' || typeof keyType !== 'number') return { ...ERR_ARGUMENT };
          this.station = { ssid, password: typeof password === 'string' ? password : '', key_type: keyType };
          return {};
        },
      },
    };
  }
}
