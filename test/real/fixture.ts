/**
 * One release under test: its Salt master and minions, the API in front of them, a tap on the
 * master's own bus and a logged-in token. Mocha builds every `describe` before any hook runs, so
 * the suites get this object up front and read its parts only from inside their tests.
 */
import { expect } from 'chai';
import { BusTap } from './busTap.js';
import { login } from './http.js';
import { type RealApi, startRealApi } from './realApi.js';
import { describeProcess, processesUsing } from './processes.js';

interface Started {
  api: RealApi;
  tap: BusTap;
  token: string;
}

export class ReleaseFixture {
  private started?: Started;

  constructor(readonly saltSrc: string) {}

  private get parts(): Started {
    if (!this.started) throw new Error(`the release from ${this.saltSrc} is not running (its start-up failed)`);
    return this.started;
  }

  get api(): RealApi {
    return this.parts.api;
  }

  /** The master's own event bus, read independently of the API. */
  get tap(): BusTap {
    return this.parts.tap;
  }

  /** A token from POST /login (eauth auto), shared by the tests that are not about logging in. */
  get token(): string {
    return this.parts.token;
  }

  get minionIds(): string[] {
    return this.parts.api.salt.minionIds;
  }

  async start(): Promise<void> {
    const api = await startRealApi(this.saltSrc);
    try {
      // The tap connects first, so it is long subscribed when a test fires something.
      const tap = await BusTap.open(api.salt.sockDir);
      this.started = { api, tap, token: await login(api.http) };
    } catch (error) {
      await api.close();
      throw error;
    }
  }

  /** Stop the API and every Salt process, and fail if one outlives the stop. */
  async stop(): Promise<void> {
    const started = this.started;
    this.started = undefined;
    if (!started) return;
    started.tap.close();
    await started.api.close();
    const leftovers = await processesUsing(started.api.salt.rootDir);
    expect(await Promise.all(leftovers.map(describeProcess)), 'Salt processes still running after stop').to.deep.equal([]);
  }
}
