/**
 * Ends an event stream when its token stops being valid (security.md: streams must not outlive
 * their token). salt-api only re-checked when the next event arrived, so a quiet stream lived
 * on after logout; here a timer fires exactly at `expire`, and the token is re-validated every
 * few seconds to notice a logout or a deletion on the master.
 */
import type { TokenAuthority } from '../salt/tokens.js';
import type { SaltToken } from '../salt/types.js';

/** How often a stream's token is re-validated (through TokenAuthority's short cache). */
export const TOKEN_RECHECK_MS = 2000;
/** setTimeout fires at once for longer delays; the periodic check covers such far expiries. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type TokenLoss = 'expired' | 'revoked';

/** Calls `onLoss` once when the token expires or is no longer valid; returns the stop function. */
export function watchToken(tokens: TokenAuthority, record: SaltToken, onLoss: (why: TokenLoss) => void): () => void {
  let stopped = false;
  let checking = false;
  const expireAt = record.expire * 1000;

  const lose = (why: TokenLoss) => {
    if (stopped) return;
    stop();
    onLoss(why);
  };

  const check = () => {
    if (Date.now() >= expireAt) return lose('expired');
    if (checking) return;
    checking = true;
    tokens.validate(record.token).then(
      (valid) => {
        checking = false;
        if (!valid) lose(Date.now() >= expireAt ? 'expired' : 'revoked');
      },
      () => {
        // The master is unreachable: it cannot say no either. The stream goes on (reporting
        // the bus outage) until the master answers or the token's expire passes.
        checking = false;
      },
    );
  };

  const interval = setInterval(check, TOKEN_RECHECK_MS);
  const untilExpire = expireAt - Date.now();
  const atExpire = untilExpire <= MAX_TIMER_MS ? setTimeout(() => lose('expired'), Math.max(0, untilExpire)) : undefined;

  function stop(): void {
    stopped = true;
    clearInterval(interval);
    clearTimeout(atExpire);
  }
  return stop;
}
