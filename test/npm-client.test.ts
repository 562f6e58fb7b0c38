/**
 * The npm `salt-api` client library (2.1.2, node_modules/salt-api/dist/salt.js), unchanged,
 * against salt-api-koa on the sandbox master: a form-urlencoded /login, one JSON object on POST /,
 * GET /minions/ and /jobs/ with their trailing slash, and its EventSource on /events.
 */
import { expect } from 'chai';
import { Salt } from 'salt-api';
import { startHarness, type Harness } from './support/harness.js';

/** What the test uses of the EventSource `eventSource()` returns (eventsource 2 ships no types). */
interface EventSourceClient {
  addEventListener(type: 'open' | 'message' | 'error', listener: (event: { data?: string; status?: number; message?: string }) => void): void;
  close(): void;
}

/**
 * What the test uses of the axios instance the library exposes. Its .d.ts imports `Axios` by a
 * name axios 1.x's CommonJS typings do not export, so the property arrives untyped.
 */
interface RequestInterceptors {
  interceptors: { request: { use(rewrite: (config: { data?: unknown }) => { data?: unknown }): number; eject(id: number): void } };
}

/** Where a request failed over HTTP, axios puts the answer on the error. */
function statusOf(error: unknown): number | undefined {
  return (error as { response?: { status?: number } }).response?.status;
}

const ALL_RIGHTS = ['.*', '@runner', '@wheel', '@jobs'];

describe('npm salt-api client against salt-api-koa', () => {
  let h: Harness;
  let salt: Salt;
  before(async () => {
    h = await startHarness({ sandbox: { minions: ['minion-1', 'minion-2'] } });
    salt = new Salt({ url: h.url, username: 'saltdev', password: 'saltdev', eauth: 'auto' });
    await salt.login();
  });
  after(async () => {
    await h.close();
  });

  it('logs in with a form body and runs a local command as one JSON object', async () => {
    expect(await salt.fun('*', 'test.ping')).to.deep.equal({ return: [{ 'minion-1': true, 'minion-2': true }] });
  });

  it('passes a single arg as a string, which the API makes a list as salt-api does', async () => {
    expect(await salt.fun('minion-1', 'test.echo', { arg: 'hello' })).to.deep.equal({ return: [{ 'minion-1': 'hello' }] });
  });

  it('passes tgt_type and kwarg', async () => {
    const out = (await salt.fun('minion-1,minion-2', 'test.arg', { tgt_type: 'list', arg: ['a'], kwarg: { k: 'v' } })) as {
      return: Record<string, { args: unknown[]; kwargs: Record<string, unknown> }>[];
    };
    expect(Object.keys(out.return[0]!)).to.have.members(['minion-1', 'minion-2']);
    expect(out.return[0]!['minion-1']!.args).to.deep.equal(['a']);
    expect(out.return[0]!['minion-1']!.kwargs).to.include({ k: 'v' });
  });

  it('runs a runner once the client the library misplaces is put back', async () => {
    // salt-api 2.1.2 bug: fun() copies funOptions.client into "arg" (`if (funOptions?.client)
    // form.arg = funOptions.client`) and always sends client "local", so as shipped it cannot run
    // a runner. A caller has to put the client back on the way out, through the axios instance
    // the library exposes; the server is not bent to the bug.
    const http: RequestInterceptors = salt.axios;
    const fix = http.interceptors.request.use((config) => {
      const { arg, ...form } = (config.data ?? {}) as Record<string, unknown>;
      if (form.client === 'local' && (arg === 'runner' || arg === 'wheel')) config.data = { ...form, client: arg };
      return config;
    });
    try {
      expect(await salt.fun('*', 'manage.status', { client: 'runner' })).to.deep.equal({ return: [{ up: ['minion-1', 'minion-2'], down: [] }] });
    } finally {
      http.interceptors.request.eject(fix);
    }
  });

  it('reads grains from GET /minions/ (trailing slash) and /minions/<id>', async () => {
    const all = (await salt.minions()) as { return: Record<string, { id: string }>[] };
    expect(Object.keys(all.return[0]!)).to.have.members(['minion-1', 'minion-2']);
    expect(all.return[0]!['minion-2']!.id).to.equal('minion-2');
    const one = (await salt.minions('minion-1')) as { return: Record<string, { id: string }>[] };
    expect(Object.keys(one.return[0]!)).to.deep.equal(['minion-1']);
  });

  it('lists jobs from GET /jobs/ (trailing slash) and reads one from /jobs/<jid>', async () => {
    await salt.fun('minion-1', 'test.echo', { arg: ['listed'] });
    const list = (await salt.jobs()) as { return: Record<string, { Function: string; Arguments: unknown[] }>[] };
    const [jid] = Object.entries(list.return[0]!).find(([, job]) => job.Function === 'test.echo' && job.Arguments[0] === 'listed') ?? [];
    expect(jid, 'the test.echo job in /jobs/').to.match(/^\d{20}$/);
    const job = (await salt.jobs(jid)) as { info: { jid: string; Function: string }[]; return: Record<string, unknown>[] };
    expect(job.info[0]).to.include({ jid, Function: 'test.echo' });
    expect(job.return[0]).to.deep.equal({ 'minion-1': 'listed' });
  });

  it('gets the 401 of a wrong password as a rejected login', async () => {
    const wrong = new Salt({ url: h.url, username: 'saltdev', password: 'wrong', eauth: 'auto' });
    const error = await wrong.login().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(statusOf(error)).to.equal(401);
  });

  it('logs in again by itself once the expire /login gave has passed', async () => {
    const short = await startHarness({ sandbox: { tokenExpire: 1, externalAuth: { auto: { saltdev: ALL_RIGHTS } } } });
    try {
      const client = new Salt({ url: short.url, username: 'saltdev', password: 'saltdev', eauth: 'auto' });
      await client.login();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      // The first token is dead on the master by now; only a new login makes this succeed.
      expect(await client.fun('minion-1', 'test.ping')).to.deep.equal({ return: [{ 'minion-1': true }] });
    } finally {
      await short.close();
    }
  });

  it('receives job events on its EventSource on /events (X-Auth-Token header)', async () => {
    const source: EventSourceClient = await salt.eventSource();
    try {
      const seen = new Promise<{ tag: string; data: { fun?: string; return?: unknown } }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no job return event within 5 s')), 5000);
        source.addEventListener('error', (event) => {
          clearTimeout(timer);
          reject(new Error(`EventSource error: status ${event.status ?? '-'} ${event.message ?? ''}`));
        });
        source.addEventListener('message', (event) => {
          const parsed = JSON.parse(event.data ?? 'null') as { tag: string; data: { fun?: string; return?: unknown } };
          if (/^salt\/job\/\d{20}\/ret\/minion-1$/.test(parsed.tag) && parsed.data.fun === 'test.echo') {
            clearTimeout(timer);
            resolve(parsed);
          }
        });
      });
      const opened = new Promise<void>((resolve) => source.addEventListener('open', () => resolve()));
      await Promise.race([opened, seen]);
      await salt.fun('minion-1', 'test.echo', { arg: ['evented'] });
      expect((await seen).data.return).to.equal('evented');
    } finally {
      source.close();
    }
  });
});
