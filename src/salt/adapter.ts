/** Wires the Salt side together: request channel, master client, event bus, tokens, netapi. */
import type { Settings } from '../config/types.js';
import type { Logger } from '../log.js';
import type { SaltContext } from './context.js';
import { EventBus } from './eventBus.js';
import { busAddresses, requestEndpoint } from './endpoints.js';
import { MasterClient } from './master.js';
import { NetapiClient, type JobObserver } from './netapi.js';
import { RequestChannel, type RoundTripObserver } from './requestChannel.js';
import { TokenAuthority, type TokenObserver } from './tokens.js';
import { AuthThrottle } from '../auth/throttle.js';
import type { Auditor } from '../audit/auditor.js';
import { followLogouts } from './logoutNotice.js';
import { SshSlots } from './ssh/slots.js';

/** What the Salt side reports as it works (src/metrics implements it). */
export type SaltObserver = RoundTripObserver & TokenObserver & JobObserver;

export interface SaltAdapter extends SaltContext {
  netapi: NetapiClient;
  close(): void;
}

/** `action`, at most once per `intervalMs`: one clear line in the log, not one per request. */
function throttled(intervalMs: number, action: () => void): () => void {
  let last = -Infinity;
  return () => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    action();
  };
}

/**
 * What hears of the adapter's work: `auditor` (audit_log_file) of every command that reaches the
 * master, `observer` (/metrics) of round trips, token checks and jobs.
 */
export interface SaltAdapterHooks {
  auditor?: Auditor;
  observer?: SaltObserver;
}

/** Build the adapter and open the bus subscription (waits briefly for it, never fails on it). */
export async function createSaltAdapter(settings: Settings, log: Logger, { auditor, observer }: SaltAdapterHooks = {}): Promise<SaltAdapter> {
  const channel = new RequestChannel({
    endpoint: requestEndpoint(settings.master),
    poolSize: settings.api.master_pool_size,
    timeoutMs: settings.api.master_timeout * 1000,
    onProtocolMismatch: throttled(60_000, () =>
      log.error(
        `the Salt master at ${settings.master.interface}:${settings.master.ret_port} answers "bad load" to every request: it requires a newer request protocol than salt-api-koa speaks (master option minimum_auth_version); requests get 502`,
      ),
    ),
    observer,
  });
  const master = new MasterClient(channel);
  const bus = new EventBus({
    ...busAddresses(settings.master),
    readyWaitMs: settings.api.master_timeout * 1000,
    pullFraming: settings.api.event_pull_framing,
  });
  const onDown = () => log.warn('master event bus disconnected; reconnecting');
  bus.on('down', onDown);
  bus.on('up', () => log.info('master event bus connected'));
  await bus.start();
  const throttle = settings.api.auth_throttle;
  const tokens = new TokenAuthority(master, settings.api.token_cache_ttl * 1000, { guard: throttle.enabled ? new AuthThrottle(throttle, log) : undefined, observer });
  followLogouts(bus, tokens);
  const context: SaltContext = { master, bus, tokens, settings: settings.master, log, sshSlots: new SshSlots(settings.api.ssh_max_concurrent) };
  return {
    ...context,
    netapi: new NetapiClient(context, { auditor, observer }),
    close() {
      // Closing drops the bus on purpose: no reconnect is coming.
      bus.off('down', onDown);
      bus.close();
      channel.close();
    },
  };
}
