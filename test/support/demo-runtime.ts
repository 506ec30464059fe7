import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { SimulatedDevice } from '../../src/simulator/server';
import type { SmartSimulatedDevice } from '../../src/simulator/smart/server';

/**
 * scripts/demo-runtime.js (plain JavaScript: the demo, the browser tests and the pack test run
 * Node-RED the same way), typed for the tests that use it.
 */

/** The project's root (this file runs from dist/test/support). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
/** Debian's chromium, which the browser tests drive with playwright-core (never a downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';

export interface NodeRedHandle {
  url: string;
  port: number;
  pid: number;
  userDir: string;
  output(): string;
  stop(): Promise<unknown>;
}

export interface Demo {
  url: string;
  dashboardUrl: string | null;
  nodeRed: { pid: number };
  hs110: SimulatedDevice;
  hs300: SimulatedDevice;
  /** The Tapo plug (SMART over KLAP, with a meter) and strip. */
  p110m: SmartSimulatedDevice;
  p300: SmartSimulatedDevice;
  /** The Kasa light strip and the Tapo colour bulb (lights examples and the dashboard's light card). */
  kl430: SimulatedDevice;
  l530: SmartSimulatedDevice;
  /** The Tapo hub (SMART over KLAP) with one child of each kind. */
  h100: SmartSimulatedDevice;
  tddpReplyPort: number;
  /** What the device dialog's search asks (tplinkDeviceSearchHosts): every simulated device's UDP port. */
  searchHosts: string;
  stop(): Promise<void>;
}

export interface DemoRuntime {
  PROJECT_ROOT: string;
  /** The ports the demo's simulators prefer (any free one when taken). */
  DEMO_PORTS: { hs110: number; hs300: number; kl430: number; p110m: number; p300: number; l530: number; h100: number; p110mTdp: number; p300Tdp: number; l530Tdp: number; h100Tdp: number };
  startNodeRed(options: { userDir: string; flows?: unknown[]; port?: number; linkPackage?: boolean; settings?: Record<string, unknown> }): Promise<NodeRedHandle>;
  startDemo(options: { userDir: string; port?: number }): Promise<Demo>;
}

export const demoRuntime = createRequire(__filename)(path.join(PROJECT_ROOT, 'scripts', 'demo-runtime.js')) as DemoRuntime;
