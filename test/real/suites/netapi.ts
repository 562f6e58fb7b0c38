/**
 * POST / with every netapi client the harness enables, except `ssh` (it needs a roster and an
 * sshd to log in to). What the master really did is checked on its own bus where an answer alone
 * would not show it (async clients).
 */
import { expect } from 'chai';
import type { ReleaseFixture } from '../fixture.js';
import { type Json, eventually, firstReturn, get, returnList, run } from '../http.js';
import { openSse } from '../../support/sseClient.js';
import { waitForSseEvent } from '../sse.js';

interface AsyncJob {
  jid: string;
  minions: string[];
}

interface TaggedJob {
  tag: string;
  jid: string;
}

interface WheelReturn {
  tag: string;
  data: { fun: string; success: boolean; user: string; return: { minions: string[] } };
}

const JID = /^\d{20}$/;

export function netapiTests(fx: ReleaseFixture): void {
  const post = (body: Json | Json[]) => run(fx.api.http, fx.token, body);
  const everyMinion = (value: unknown): Json => Object.fromEntries(fx.minionIds.map((id) => [id, value]));

  describe('POST / local clients', () => {
    it('local test.ping: both minions answer true', async () => {
      const res = await post([{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(200);
      expect(res.body).to.deep.equal({ return: [everyMinion(true)] });
    });

    it('local with arguments: test.echo echoes, test.arg sees args and kwargs', async () => {
      const res = await post([
        { client: 'local', tgt: '*', fun: 'test.echo', arg: ['hello real salt'] },
        { client: 'local', tgt: 'minion-1', fun: 'test.arg', arg: [1, 'two'], kwarg: { three: 3 } },
      ]).expect(200);
      const [echo, args] = returnList(res) as [Json, Record<string, { args: unknown[]; kwargs: Json }>];
      expect(echo).to.deep.equal(everyMinion('hello real salt'));
      expect(Object.keys(args)).to.deep.equal(['minion-1']);
      expect(args['minion-1']!.args).to.deep.equal([1, 'two']);
      expect(args['minion-1']!.kwargs).to.include({ three: 3, __pub_fun: 'test.arg' });
    });

    it('local_async: answers the jid and minions at once; the minions return under that jid', async () => {
      const res = await post([{ client: 'local_async', tgt: '*', fun: 'test.echo', arg: ['async'] }]).expect(200);
      const job = firstReturn<AsyncJob>(res);
      expect(Object.keys(job)).to.deep.equal(['jid', 'minions']);
      expect(job.jid).to.match(JID);
      expect(job.minions).to.have.members(fx.minionIds);
      for (const id of fx.minionIds) {
        const ret = await fx.tap.waitFor(`salt/job/${job.jid}/ret/${id}`);
        expect(ret.data).to.include({ id, fun: 'test.echo', return: 'async', success: true });
      }
    });

    it("local_batch with batch '1': one element per minion, each from its own batch", async () => {
      const res = await post([{ client: 'local_batch', tgt: '*', fun: 'test.ping', batch: '1' }]).expect(200);
      const items = returnList(res) as Json[];
      expect(items).to.have.length(fx.minionIds.length);
      for (const item of items) expect(Object.keys(item)).to.have.length(1);
      expect(Object.assign({}, ...items)).to.deep.equal(everyMinion(true));
    });

    it('local_subset with subset 1: exactly one of the minions runs', async () => {
      const res = await post([{ client: 'local_subset', tgt: '*', fun: 'test.ping', subset: 1 }]).expect(200);
      const ret = firstReturn(res);
      expect(Object.keys(ret)).to.have.length(1);
      expect(fx.minionIds).to.include(Object.keys(ret)[0]);
      expect(Object.values(ret)).to.deep.equal([true]);
    });
  });

  describe('POST / runner clients', () => {
    it('runner manage.status: both minions up', async () => {
      const res = await post([{ client: 'runner', fun: 'manage.status' }]).expect(200);
      const status = firstReturn<{ up: string[]; down: string[] }>(res);
      expect(status.up).to.have.members(fx.minionIds);
      expect(status.down).to.deep.equal([]);
    });

    it('runner test.arg: positional, name=value and kwarg arguments reach the runner', async () => {
      const res = await post([{ client: 'runner', fun: 'test.arg', arg: ['one', 'two=2'], kwarg: { three: 3 } }]).expect(200);
      const ret = firstReturn<{ args: unknown[]; kwargs: Json }>(res);
      expect(ret.args).to.deep.equal(['one']);
      expect(ret.kwargs).to.include({ two: 2, three: 3 });
    });

    it('runner jobs.list_jobs lists a job run just before', async () => {
      const job = firstReturn<AsyncJob>(await post([{ client: 'local_async', tgt: 'minion-1', fun: 'test.ping' }]).expect(200));
      await fx.tap.waitFor(`salt/job/${job.jid}/ret/minion-1`);
      const res = await post([{ client: 'runner', fun: 'jobs.list_jobs' }]).expect(200);
      const jobs = firstReturn<Record<string, Json>>(res);
      expect(jobs[job.jid]).to.include({ Function: 'test.ping', Target: 'minion-1', User: 'saltdev' });
    });

    it('runner_async: answers tag and jid; the runner returns under that jid on the master\'s bus', async () => {
      const res = await post([{ client: 'runner_async', fun: 'test.arg', arg: ['x'] }]).expect(200);
      const job = firstReturn<TaggedJob>(res);
      expect(Object.keys(job)).to.deep.equal(['tag', 'jid']);
      expect(job.jid).to.match(JID);
      expect(job.tag).to.equal(`salt/run/${job.jid}`);
      const ret = await fx.tap.waitFor(`salt/run/${job.jid}/ret`);
      expect(ret.data).to.include({ fun: 'runner.test.arg', success: true, user: 'saltdev' });
      expect(ret.data.return).to.deep.equal({ args: ['x'], kwargs: {} });
    });
  });

  describe('POST / wheel clients', () => {
    it('wheel key.list_all: both minion keys accepted', async () => {
      const res = await post([{ client: 'wheel', fun: 'key.list_all' }]).expect(200);
      const ret = firstReturn<WheelReturn>(res);
      expect(ret.tag).to.match(/^salt\/wheel\/\d{20}$/);
      expect(ret.data).to.include({ fun: 'wheel.key.list_all', success: true, user: 'saltdev' });
      expect(ret.data.return.minions).to.have.members(fx.minionIds);
    });

    it('wheel_async: the answered jid is the one the job runs under (its ret on /events and on the master\'s bus)', async () => {
      const events = await openSse(fx.api.url, '/events', { 'X-Auth-Token': fx.token });
      try {
        const res = await post([{ client: 'wheel_async', fun: 'key.list_all' }]).expect(200);
        const job = firstReturn<TaggedJob>(res);
        expect(job.jid).to.match(JID);
        expect(job.tag).to.equal(`salt/wheel/${job.jid}`);
        const tag = `salt/wheel/${job.jid}/ret`;
        const onBus = await fx.tap.waitFor(tag);
        expect(onBus.data).to.include({ fun: 'wheel.key.list_all', success: true });
        expect((onBus.data.return as { minions: string[] }).minions).to.have.members(fx.minionIds);
        const streamed = await waitForSseEvent(events, tag);
        expect(streamed.data).to.include({ jid: job.jid, fun: 'wheel.key.list_all' });
      } finally {
        events.close();
      }
    });

    it('wheel_async: GET /jobs/<jid> of the answered jid finds the wheel job in the master\'s job cache', async () => {
      const job = firstReturn<TaggedJob>(await post([{ client: 'wheel_async', fun: 'key.list_all' }]).expect(200));
      await fx.tap.waitFor(`salt/wheel/${job.jid}/ret`);
      // The master stores a wheel job's return (under its own id) just after firing its ret event.
      const returns = await eventually(`job ${job.jid} in the job cache`, async () => {
        const res = await get(fx.api.http, fx.token, `/jobs/${job.jid}`).expect(200);
        const found = firstReturn(res);
        return Object.keys(found).length > 0 ? found : undefined;
      });
      const [stored] = Object.values(returns) as Json[];
      expect(Object.keys(returns)).to.have.length(1);
      expect(stored).to.include({ jid: job.jid, fun: 'wheel.key.list_all', success: true });
    });
  });
}
