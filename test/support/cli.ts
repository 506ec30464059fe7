import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { within } from './wait';

/** The compiled tplink-smartplug. */
export const SMARTPLUG = path.join(__dirname, '..', '..', 'bin', 'tplink-smartplug.js');

/** Runs a compiled tool in a process of its own (TPLINK_PASSWORD cleared), bounded in time. */
export function runTool(tool: string, args: string[], ms = 15_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return within(
    new Promise((resolve) => {
      execFile(process.execPath, [tool, ...args], { env: { ...process.env, TPLINK_PASSWORD: '' } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    }),
    ms,
    `${path.basename(tool, '.js')} ${args.join(' ')}`,
  );
}
