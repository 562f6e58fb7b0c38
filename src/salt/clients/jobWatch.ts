/**
 * Collects one job's returns from the bus. The watch is registered synchronously right after
 * the publish reply, and the bus keeps earlier events while the caller retains it, so no
 * return is missed. Arrivals and a dropped bus are reported through a shared {@link Signal}.
 *
 * The minions still owed a return are kept as a set updated on each arrival, so waiting on a
 * fleet costs O(1) per return; the outstanding list is only built when a find_job round asks.
 */
import { Errors } from '../../errors.js';
import type { EventBus } from '../eventBus.js';
import type { SaltMap } from '../types.js';
import { isMap } from '../master.js';
import { unpacked } from '../packedValue.js';
import type { Signal } from './signal.js';

export class JobWatch {
  /** Return event data by minion id, in arrival order. */
  readonly returns = new Map<string, SaltMap>();
  /** Minions the job was sent to (grows when find_job finds others running it). */
  readonly expected = new Set<string>();
  /** The expected minions that have not returned yet. */
  private readonly owed = new Set<string>();
  private readonly unwatch: () => void;

  constructor(bus: EventBus, readonly jid: string, signal: Signal) {
    const retPrefix = `salt/job/${jid}/ret/`;
    this.unwatch = bus.watchJid(jid, {
      onEvent: (event) => {
        if (!event.tag.startsWith(retPrefix) || !('return' in event.data)) return;
        const id = typeof event.data.id === 'string' ? event.data.id : event.tag.slice(retPrefix.length);
        this.returns.set(id, event.data);
        this.owed.delete(id);
        signal.notify();
      },
      onDown: () => signal.fail(Errors.MasterUnavailable()),
    });
  }

  /** Wait for a return from `id` too (unless it already came). */
  expect(id: string): void {
    this.expected.add(id);
    if (!this.returns.has(id)) this.owed.add(id);
  }

  /** Stop waiting for `id`: it will not return. */
  forget(id: string): void {
    this.expected.delete(id);
    this.owed.delete(id);
  }

  /** Whether some expected minion has not returned yet. */
  get waiting(): boolean {
    return this.owed.size > 0;
  }

  /** The expected minions that have not returned yet, in the order they were expected. */
  outstanding(): string[] {
    return [...this.owed];
  }

  close(): void {
    this.unwatch();
  }
}

/** A find_job answer means "still running" unless it is empty (netapi-clients.md §3.2). */
export function stillRunning(data: SaltMap): boolean {
  const ret = unpacked(data.return);
  if (!isMap(ret) || Object.keys(ret).length === 0) return false;
  return !(Object.keys(ret).length === 1 && isMap(ret.return) && Object.keys(ret.return).length === 0);
}
