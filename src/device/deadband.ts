/**
 * Report by exception: a reading passes when the power moved more than `deadbandWatts` from the
 * last one passed (the first always passes). A deadband of 0 passes every reading.
 */
export class Deadband {
  private last: number | undefined;

  constructor(private readonly deadbandWatts: number) {}

  pass(power: number): boolean {
    if (this.deadbandWatts > 0 && this.last !== undefined && Math.abs(power - this.last) <= this.deadbandWatts) return false;
    this.last = power;
    return true;
  }
}
