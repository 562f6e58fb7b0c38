/** What every netapi client gets: the master connection, the bus, the settings, the caller's token. */
import type { MasterSettings } from '../config/types.js';
import type { Logger } from '../log.js';
import type { EventBus } from './eventBus.js';
import type { MasterClient } from './master.js';
import type { SshSlots } from './ssh/slots.js';
import type { TokenAuthority } from './tokens.js';
import type { LowstateChunk, SaltToken, SaltValue } from './types.js';

export interface SaltContext {
  master: MasterClient;
  bus: EventBus;
  tokens: TokenAuthority;
  settings: MasterSettings;
  log: Logger;
  /** The salt-ssh runs this process may start at once (`ssh_max_concurrent`). */
  sshSlots: SshSlots;
}

/** One chunk to run, with credentials already confirmed by the master. */
export interface ClientCall {
  chunk: LowstateChunk;
  token: SaltToken;
  /** Told each jid the chunk's jobs run under, as soon as the master names it (for the audit trail). */
  onJob?(jid: string): void;
}

/**
 * A netapi client. It returns the elements it contributes to the response's `return` list:
 * one for every client but `local_batch`, which contributes one per minion (http-api.md §4.3).
 */
export type ClientFunction = (call: ClientCall, salt: SaltContext) => Promise<SaltValue[]>;
