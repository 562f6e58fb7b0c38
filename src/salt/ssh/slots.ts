/**
 * A cap on the salt-ssh processes one API process runs at once (`ssh_max_concurrent`). Each run
 * is a Python process plus one ssh process per host, so an authenticated user could otherwise
 * start as many as the API accepts requests. A run past the cap is refused at once (503), never
 * queued: a queue would only hold the caller's connection open for as long as the others take.
 */
import { Errors } from '../../errors.js';

export class SshSlots {
  private taken = 0;

  constructor(readonly max: number) {}

  /** Runs holding a slot now. */
  get running(): number {
    return this.taken;
  }

  /** Take a slot, or throw the 503. Returns what gives it back; calling that again is harmless. */
  take(): () => void {
    if (this.taken >= this.max) throw Errors.SshBusy(this.max);
    this.taken++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.taken--;
    };
  }
}
