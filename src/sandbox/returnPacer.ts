/**
 * Hands out turns to deliver minion returns, a batch per turn of the event loop. Without it, a
 * fleet whose returns fall due together would pack and queue them all in one tick: neither the
 * sandbox's request server nor the subscribers' sockets would get a turn until every return of
 * 20,000 minions sat in memory. Between batches `setImmediate` lets the loop poll, so sockets
 * drain as the returns are produced, the way a real master's publisher streams them.
 */
export const RETURNS_PER_TURN = 64;

export class ReturnPacer {
  private waiting: Array<() => void> = [];
  /** Index of the next waiter in `waiting`: taking from the front must not shift the array. */
  private next = 0;
  private scheduled = false;

  constructor(private readonly perTurn = RETURNS_PER_TURN) {}

  /** Resolves when this return may be delivered. */
  turn(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.release());
  }

  private release(): void {
    this.scheduled = false;
    const end = Math.min(this.waiting.length, this.next + this.perTurn);
    for (; this.next < end; this.next++) this.waiting[this.next]!();
    if (this.next < this.waiting.length) {
      this.schedule();
    } else {
      this.waiting = [];
      this.next = 0;
    }
  }
}
