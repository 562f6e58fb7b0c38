/** Timers the sandbox owns, so that `stop()` leaves nothing scheduled behind. */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Resolve after `ms`; never resolves once the timers are cleared (the work is abandoned). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve();
      }, Math.max(0, ms));
      // A sandbox that was never stopped must not keep the process alive.
      timer.unref();
      this.pending.add(timer);
    });
  }

  clear(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
