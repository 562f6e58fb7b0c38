/**
 * `GET /readyz`'s verdict: the master's request server answers a clear `ping` (wire.md §3.7, a
 * no-credential, side-effect-free echo every release from 3006.0 to 3008 answers) and the event
 * bus is connected. A probe result is reused for `reuseMs` and concurrent checks share the one
 * probe in flight, so a flood of probes costs the master at most one ping per interval.
 */
import { isApiError, Errors } from '../errors.js';
import type { EventBus } from '../salt/eventBus.js';
import type { MasterClient } from '../salt/master.js';

export interface ReadinessReport {
  status: 'ready' | 'unavailable';
  /** Why the API is not ready; absent when it is. */
  reason?: string;
  request_server: 'answering' | 'not answering';
  event_bus: 'connected' | 'not connected';
}

interface Probe {
  /** Why the request server is not usable; undefined when it answered. */
  failure?: string;
  at: number;
}

export interface ReadinessOptions {
  master: Pick<MasterClient, 'ping'>;
  bus: Pick<EventBus, 'connected'>;
  /** master_timeout, for the failure message (the request channel enforces it). */
  masterTimeoutSeconds: number;
  /** How long one probe's result stands in for new ones. */
  reuseMs?: number;
}

export class Readiness {
  private last: Probe | undefined;
  private inFlight: Promise<Probe> | undefined;
  private readonly reuseMs: number;

  constructor(private readonly options: ReadinessOptions) {
    this.reuseMs = options.reuseMs ?? 1000;
  }

  async check(): Promise<ReadinessReport> {
    const probe = await this.probe();
    // Read now, not with the probe: the bus state costs nothing and changes on its own.
    const busUp = this.options.bus.connected;
    const reasons = [probe.failure, busUp ? undefined : 'the master event bus is not connected'].filter((r) => r !== undefined);
    return {
      status: reasons.length === 0 ? 'ready' : 'unavailable',
      ...(reasons.length === 0 ? {} : { reason: reasons.join('; ') }),
      request_server: probe.failure === undefined ? 'answering' : 'not answering',
      event_bus: busUp ? 'connected' : 'not connected',
    };
  }

  private probe(): Promise<Probe> {
    if (this.last && performance.now() - this.last.at < this.reuseMs) return Promise.resolve(this.last);
    this.inFlight ??= this.ping().then((probe) => {
      this.last = probe;
      this.inFlight = undefined;
      return probe;
    });
    return this.inFlight;
  }

  private async ping(): Promise<Probe> {
    let failure: string | undefined;
    try {
      if (!(await this.options.master.ping())) failure = "the master's request server answered a ping with something other than its echo";
    } catch (error) {
      failure = this.failureOf(error);
    }
    return { failure, at: performance.now() };
  }

  private failureOf(error: unknown): string {
    if (!isApiError(error)) return `the master's request server could not be asked: ${String(error)}`;
    switch (error.code) {
      case Errors.MasterUnavailable.code:
        return `the master's request server did not answer a ping within master_timeout (${this.options.masterTimeoutSeconds} s)`;
      case Errors.ProtocolMismatch.code:
        return 'the master refuses the request protocol this API speaks ("bad load"; see its minimum_auth_version option)';
      default:
        return `the master's request server failed a ping: ${error.message}`;
    }
  }
}
