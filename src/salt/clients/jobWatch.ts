/**
 * Collects one job's returns from the bus. The watch is registered synchronously right after
 * the publish reply, and the bus keeps earlier events while the caller retains it, so no
 * return is missed. Arrivals and a dropped bus are reported through a shared {@link Signal}.
 */
import { Errors } from '../../errors.js';
import type { EventBus } from '../eventBus.js';
import type { SaltMap } from '../types.js';
import { isMap } from '../master.js';
import type { Signal } from './signal.js';

export class JobWatch {
  /** Return event data by minion id, in arrival order. */
  readonly returns = new Map<string, SaltMap>();
  private readonly unwatch: () => void;

  constructor(bus: EventBus, readonly jid: string, signal: Signal) {
    const retPrefix = `salt/job/${jid}/ret/`;
    this.unwatch = bus.watchJid(jid, {
      onEvent: (event) => {
        if (!event.tag.startsWith(retPrefix) || !('return' in event.data)) return;
        const id = typeof event.data.id === 'string' ? event.data.id : event.tag.slice(retPrefix.length);
        this.returns.set(id, event.data);
        signal.notify();
      },
      onDown: () => signal.fail(Errors.MasterUnavailable()),
    });
  }

  outstanding(expected: Iterable<string>): string[] {
    return [...expected].filter((id) => !this.returns.has(id));
  }

  close(): void {
    this.unwatch();
  }
}

/** A find_job answer means "still running" unless it is empty (netapi-clients.md §3.2). */
export function stillRunning(data: SaltMap): boolean {
  const ret = data.return;
  if (!isMap(ret) || Object.keys(ret).length === 0) return false;
  return !(Object.keys(ret).length === 1 && isMap(ret.return) && Object.keys(ret.return).length === 0);
}
