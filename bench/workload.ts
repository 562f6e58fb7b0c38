/**
 * What the scenarios ask of the master, shared by the HTTP requests sent to the API and by the
 * baseline that sends the equivalent master requests itself, so both sides do the same work.
 */

/** Minions the sandbox simulates; `local` waits for a return from each. */
export const MINIONS = 2;

/** The sandbox's default eauth user. */
export const CREDENTIALS = { username: 'saltdev', password: 'saltdev', eauth: 'auto' } as const;

/** The job of the `local_async` and `local` scenarios. */
export const TEST_PING = { tgt: '*', fun: 'test.ping' } as const;

/** The call of the `wheel` scenario. */
export const KEY_LIST_ALL = { fun: 'key.list_all' } as const;

/** The master-baseline endpoints, one per master-bound scenario. */
export type MasterCall = 'login' | 'local_async' | 'local' | 'wheel';
