import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discoveryPortOf } from '../../../src/family/discovered';
import type { DeviceSettings } from '../../../src/family/settings';

const settings = (extra: Partial<DeviceSettings>): DeviceSettings => ({ transport: 'auto', host: '127.0.0.1', port: 9999, ...extra });

void describe('which UDP port auto asks over TP-Link discovery', () => {
  void it('asks 20002 for a device on the standard ports, with or without the HTTP port written out', () => {
    assert.equal(discoveryPortOf(settings({})), 20002);
    assert.equal(discoveryPortOf(settings({ klapPort: 80 })), 20002);
  });

  void it('asks nothing for a port-mapped host: its 20002 need not be this device', () => {
    // Docker, NAT, or several simulated devices on one address: each has ports of its own.
    assert.equal(discoveryPortOf(settings({ port: 10000 })), null, 'a Smart Home port other than 9999');
    assert.equal(discoveryPortOf(settings({ klapPort: 8080 })), null, 'an HTTP port other than 80');
    assert.equal(discoveryPortOf(settings({ port: 19999, klapPort: 8080 })), null, 'both mapped');
  });

  void it('asks the port given, even on a port-mapped host, and nothing when told to ask nothing', () => {
    assert.equal(discoveryPortOf(settings({ tdpPort: 40002 })), 40002);
    assert.equal(discoveryPortOf(settings({ port: 10000, klapPort: 8080, tdpPort: 40002 })), 40002);
    assert.equal(discoveryPortOf(settings({ tdpPort: null })), null);
  });
});
