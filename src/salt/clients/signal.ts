/** A one-slot wake-up: several event sources notify, one waiter waits until a change or a deadline. */
export class Signal {
  private pending?: () => void;
  private failure?: Error;

  notify(): void {
    this.pending?.();
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.pending?.();
  }

  /** Resolve at the next notify or at `deadline` (epoch ms); reject once a failure was signalled. */
  wait(deadline: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        this.pending = undefined;
        if (this.failure) reject(this.failure);
        else resolve();
      };
      const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
      this.pending = finish;
    });
  }
}
