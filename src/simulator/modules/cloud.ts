import { ERR_ARGUMENT, Json, MethodTable, SimModule } from './module';

/** `cnCloud`: the TP-Link cloud binding, which server, which account. */
export class CloudModule implements SimModule {
  readonly methods: Readonly<Record<string, MethodTable>>;
  private cloud: Json = {};

  constructor() {
    this.reset();
    this.methods = { cnCloud: this.table() };
  }

  reset(): void {
    this.cloud = {
      username: '',
      server: 'devs.tplinkcloud.com',
      binded: 0,
      cld_connection: 0,
      illegalType: 0,
      stopConnect: 0,
      tcspStatus: 0,
      fwDlPage: '',
      tcspInfo: '',
      fwNotifyType: 0,
    };
  }

  private table(): MethodTable {
    return {
      get_info: { run: () => ({ ...this.cloud }) },
      get_intl_fw_list: { run: () => ({ fw_list: [] }) },
      set_server_url: {
        run: (args) => {
          const server = args['server'];
          if (typeof server !== 'string' || server === '') return { ...ERR_ARGUMENT };
          this.cloud['server'] = server;
          return {};
        },
      },
      bind: {
        run: (args) => {
          const { username, password } = args;
          if (typeof username !== 'string' || typeof password !== 'string') return { ...ERR_ARGUMENT };
          Object.assign(this.cloud, { username, binded: 1, cld_connection: 1 });
          return {};
        },
      },
      unbind: {
        run: () => {
          Object.assign(this.cloud, { username: '', binded: 0, cld_connection: 0 });
          return {};
        },
      },
    };
  }
}
