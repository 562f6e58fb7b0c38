/** GET /jobs, GET /jobs/<jid>, GET and POST /minions, GET /keys and GET /keys/<id> on a real master. */
import { expect } from 'chai';
import type { ReleaseFixture } from '../fixture.js';
import { type Json, eventually, firstReturn, get, returnList, run } from '../http.js';

interface FullReturn {
  jid: string;
  ret: unknown;
}

interface JobInfo {
  jid: string;
  Function: string;
  Result: Record<string, { return: unknown }>;
}

interface KeyLists {
  minions: string[];
  minions_pre: string[];
  minions_rejected: string[];
  minions_denied: string[];
  local: string[];
}

export function resourceTests(fx: ReleaseFixture): void {
  const getJson = (url: string) => get(fx.api.http, fx.token, url);

  /** The jid of a finished `test.echo` on minion-1, as a full return tells it. */
  async function finishedEchoJob(text: string): Promise<string> {
    const res = await run(fx.api.http, fx.token, [{ client: 'local', tgt: 'minion-1', fun: 'test.echo', arg: [text], full_return: true }]).expect(200);
    const full = firstReturn<Record<string, FullReturn>>(res)['minion-1'];
    expect(full?.ret).to.equal(text);
    return full!.jid;
  }

  /** GET /jobs/<jid> once the job cache holds minion-1's return. */
  function jobOnceReturned(jid: string) {
    return eventually(`minion-1's return in job ${jid}`, async () => {
      const res = await getJson(`/jobs/${jid}`).expect(200);
      return Object.hasOwn(firstReturn(res), 'minion-1') ? res : undefined;
    });
  }

  describe('/jobs', () => {
    it('GET /jobs lists a finished job with its function, target and user', async () => {
      const jid = await finishedEchoJob('listed');
      const res = await getJson('/jobs').expect(200);
      const job = firstReturn<Record<string, Json>>(res)[jid];
      expect(job).to.include({ Function: 'test.echo', Target: 'minion-1', 'Target-type': 'glob', User: 'saltdev' });
      expect(job?.StartTime).to.match(/^\d{4}, [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/);
    });

    it('GET /jobs/<jid> of a finished job gives the returns and the job info', async () => {
      const jid = await finishedEchoJob('looked up');
      const res = await jobOnceReturned(jid);
      expect(returnList(res)).to.deep.equal([{ 'minion-1': 'looked up' }]);
      const info = (res.body as { info: JobInfo[] }).info[0]!;
      expect(info).to.include({ jid, Function: 'test.echo' });
      expect(info.Result['minion-1']).to.include({ return: 'looked up' });
    });
  });

  describe('/minions', () => {
    it('GET /minions gives the grains of both minions, of this Salt release', async () => {
      const res = await getJson('/minions').expect(200);
      const grains = firstReturn<Record<string, Json>>(res);
      expect(Object.keys(grains)).to.have.members(fx.minionIds);
      for (const id of fx.minionIds) {
        expect(grains[id]).to.include({ id, saltversion: fx.api.salt.version });
        expect(grains[id]).to.have.property('os');
      }
    });

    it('GET /minions/<id> gives that minion only', async () => {
      const res = await getJson('/minions/minion-2').expect(200);
      const grains = firstReturn<Record<string, Json>>(res);
      expect(Object.keys(grains)).to.deep.equal(['minion-2']);
      expect(grains['minion-2']).to.include({ id: 'minion-2' });
    });

    it('POST /minions starts an async job (202, jid, link); the job then finishes', async () => {
      const res = await fx.api.http
        .post('/minions')
        .set('X-Auth-Token', fx.token)
        .set('Accept', 'application/json')
        .send([{ tgt: 'minion-1', fun: 'test.echo', arg: ['via /minions'] }])
        .expect(202);
      const job = firstReturn<{ jid: string; minions: string[] }>(res);
      expect(job.jid).to.match(/^\d{20}$/);
      expect(job.minions).to.deep.equal(['minion-1']);
      expect((res.body as { _links: unknown })._links).to.deep.equal({ jobs: [{ href: `/jobs/${job.jid}` }] });
      const done = await jobOnceReturned(job.jid);
      expect(returnList(done)).to.deep.equal([{ 'minion-1': 'via /minions' }]);
    });
  });

  describe('/keys', () => {
    it('GET /keys lists both minion keys as accepted and nothing pending', async () => {
      const res = await getJson('/keys').expect(200);
      const keys = (res.body as { return: KeyLists }).return;
      expect(keys.minions).to.have.members(fx.minionIds);
      expect([...keys.minions_pre, ...keys.minions_rejected, ...keys.minions_denied]).to.deep.equal([]);
      // The same lists as Salt's own salt-key -L (which leaves out the master's `local` keys).
      const { local: _local, ...lists } = keys;
      expect(lists).to.deep.equal(await fx.api.salt.saltKey(['-L']));
    });

    it("GET /keys/<id> gives that minion's fingerprint, as Salt's own salt-key -f prints it", async () => {
      const res = await getJson('/keys/minion-1').expect(200);
      // How the fingerprint is computed differs between releases (3008 hashes the whole PEM).
      const expected = await fx.api.salt.saltKey(['-f', 'minion-1']);
      expect(res.body).to.deep.equal({ return: expected });
      expect(expected).to.have.nested.property('minions.minion-1').that.matches(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
    });
  });
}
