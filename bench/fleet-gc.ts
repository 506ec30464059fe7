/**
 * Watches the garbage collector of the runtime process. A few seconds after Node-RED has loaded,
 * V8 shrinks the heap it grew while starting with a handful of full collections; they cost more
 * CPU than a small fleet's polls and happen once, so the measured window waits for them to pass,
 * and counts the full collections that still fall inside it.
 */
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export class GcWatch {
  private lastMajorAt = performance.now();
  private counting = false;
  private majors = 0;
  private majorMs = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // Node 16+ puts the kind of a gc entry in `detail` (the typings here predate it).
      const detail = (entry as unknown as { detail?: { kind?: number } }).detail;
      if (detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      this.lastMajorAt = performance.now();
      if (!this.counting) continue;
      this.majors++;
      this.majorMs += entry.duration;
    }
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Resolves once no full collection has happened for `quietMs`, or after `capMs` whatever happens. */
  async settled(quietMs: number, capMs: number): Promise<void> {
    const deadline = performance.now() + capMs;
    while (performance.now() - this.lastMajorAt < quietMs && performance.now() < deadline) await sleep(100);
  }

  beginCounting(): void {
    this.majors = 0;
    this.majorMs = 0;
    this.counting = true;
  }

  /** Full collections since beginCounting(), and their pause time on the main thread. */
  endCounting(): { majorGcs: number; majorGcMs: number } {
    this.counting = false;
    return { majorGcs: this.majors, majorGcMs: this.majorMs };
  }

  stop(): void {
    this.observer.disconnect();
  }
}
