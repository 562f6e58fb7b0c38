/** GET /keys[/<mid>] and POST /keys (the key-pair tarball), http-api.md §7.12-§7.13. */
import { readFileSync } from 'node:fs';
import { buffer } from 'node:stream/consumers';
import { expect } from 'chai';
import type { Response } from 'supertest';
import tar from 'tar-stream';
import { startHarness, login, type Harness } from './support/harness.js';
import { fixturePath } from './support/paths.js';

interface Member {
  header: tar.Header;
  content: string;
}

async function members(archive: Buffer): Promise<Member[]> {
  const extract = tar.extract();
  extract.end(archive);
  const out: Member[] = [];
  for await (const entry of extract) out.push({ header: entry.header, content: (await buffer(entry)).toString('utf8') });
  return out;
}

/** supertest leaves unknown content types unread unless told to buffer them. */
function binary(res: Response, callback: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => callback(null, Buffer.concat(chunks)));
}

const FINGERPRINT = /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/;

describe('/keys', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness({ sandbox: { pendingKeys: ['pending-1'] } });
    token = await login(h);
  });
  after(async () => {
    await h.close();
  });

  const get = (target: string) => h.http.get(target).set('Accept', 'application/json');
  const postKeys = (body: string | object) => {
    const req = h.http.post('/keys').buffer(true).parse(binary);
    return typeof body === 'string' ? req.type('form').send(body) : req.send(body);
  };
  const genAccepts = () => h.sandbox.requests.filter((load) => load.cmd === 'wheel' && load.fun === 'key.gen_accept');

  describe('GET', () => {
    it('lists every key state as an object, as the capture', async () => {
      const res = await get('/keys').set('X-Auth-Token', token).expect(200);
      expect(res.body).to.deep.equal({
        return: {
          minions: ['minion-1', 'minion-2'],
          minions_pre: ['pending-1'],
          minions_rejected: [],
          minions_denied: [],
          local: ['master.pem', 'master.pub'],
        },
      });
      expect(Object.keys(res.body.return)).to.deep.equal(['minions', 'minions_pre', 'minions_rejected', 'minions_denied', 'local']);
      const load = h.sandbox.requests.filter((l) => l.cmd === 'wheel').at(-1);
      expect(load).to.include({ fun: 'key.list_all', client: 'wheel', token });
    });

    it('accepts the session cookie too', async () => {
      await get('/keys').set('Cookie', `session_id=${token}`).expect(200);
    });

    it('gives the fingerprint of one minion (key.finger with match=<mid>)', async () => {
      const res = await get('/keys/minion-1').set('X-Auth-Token', token).expect(200);
      expect(Object.keys(res.body)).to.deep.equal(['return']);
      expect(Object.keys(res.body.return)).to.deep.equal(['minions']);
      expect(Object.keys(res.body.return.minions)).to.deep.equal(['minion-1']);
      expect(res.body.return.minions['minion-1']).to.match(FINGERPRINT);
      const load = h.sandbox.requests.filter((l) => l.cmd === 'wheel').at(-1);
      expect(load).to.include({ fun: 'key.finger', match: 'minion-1' });
    });

    it('treats <mid> as a glob and finds pending keys under minions_pre', async () => {
      const res = await get('/keys/pend*').set('X-Auth-Token', token).expect(200);
      expect(Object.keys(res.body.return.minions_pre)).to.deep.equal(['pending-1']);
    });

    it('answers {"return": {}} for an unknown minion', async () => {
      await get('/keys/nosuch').set('X-Auth-Token', token).expect(200, { return: {} });
    });

    it('401 without a session token, and the master is not asked', async () => {
      const before = h.sandbox.requests.length;
      const res = await get('/keys').expect(401);
      expect(res.body).to.deep.equal({ status: 401, return: 'No authentication credentials given' });
      await get('/keys/minion-1').expect(401);
      expect(h.sandbox.requests.length).to.equal(before);
    });

    it('401 with a token the master does not know', async () => {
      const res = await get('/keys').set('X-Auth-Token', 'ab'.repeat(32)).expect(401);
      expect(res.body).to.deep.equal({ status: 401, return: 'Authentication failure of type "token" occurred.' });
      await get('/keys').set('X-Auth-Token', '../../etc/passwd').expect(401);
    });

    it('400 for a <mid> with dot-dot, a backslash or control characters', async () => {
      for (const mid of ['..', 'a..b', '%2e%2e', 'a%5Cb', 'a%00b', 'a%0Ab', 'a%2Fb']) {
        const res = await get(`/keys/${mid}`).set('X-Auth-Token', token);
        expect(res.status, mid).to.equal(400);
        expect(res.body.status).to.equal(400);
      }
    });
  });

  describe('POST', () => {
    it('generates and accepts a key pair and answers with the tarball', async function () {
      this.timeout(20000);
      const res = await postKeys('mid=capture-tmp&username=saltdev&password=saltdev&eauth=auto').expect(200);
      expect(res.headers['content-type']).to.equal('application/x-tar');
      expect(res.headers['content-disposition']).to.equal('attachment; filename="saltkeys-capture-tmp.tar"');
      expect(res.headers['cache-control']).to.equal('no-cache');
      const archive = res.body as Buffer;
      expect(archive.length).to.equal(10240);
      expect(res.headers['content-length']).to.equal('10240');
      expect(archive.subarray(257, 265).toString('latin1')).to.equal('ustar\u000000');

      const [pub, pem, ...rest] = await members(archive);
      expect(rest).to.deep.equal([]);
      expect(pub?.header).to.include({ name: 'minion.pub', type: 'file', mode: 0o644, uid: 0, gid: 0, uname: '', gname: '' });
      expect(pem?.header).to.include({ name: 'minion.pem', type: 'file', mode: 0o644, uid: 0, gid: 0, uname: '', gname: '' });
      expect(pub?.header.mtime.getTime()).to.equal(0);
      expect(pem?.header.mtime.getTime()).to.equal(0);
      expect(pub?.content).to.match(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
      expect(pem?.content).to.match(/^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+-----END RSA PRIVATE KEY-----\n$/);
      expect(pub?.header.size).to.equal(Buffer.byteLength(pub?.content ?? ''));
      expect(pem?.header.size).to.equal(Buffer.byteLength(pem?.content ?? ''));

      const load = genAccepts().at(-1);
      expect(load).to.include({ client: 'wheel', fun: 'key.gen_accept', id_: 'capture-tmp' });
      expect(load).to.not.have.any.keys('mid', 'password');
      const list = await h.http.get('/keys').set('X-Auth-Token', token).expect(200);
      expect(list.body.return.minions).to.include('capture-tmp');
    });

    it('has the structure of the archive salt-api sent', async () => {
      const captured = readFileSync(fixturePath('captures/cherrypy-17-keys-post.tar'));
      const ours = (await postKeys('mid=shape-check&username=saltdev&password=saltdev&eauth=auto').expect(200)).body as Buffer;
      expect(ours.length).to.equal(captured.length);
      const describe = (list: Member[]) =>
        list.map(({ header }) => ({ ...header, size: undefined, mtime: header.mtime.getTime() }));
      expect(describe(await members(ours))).to.deep.equal(describe(await members(captured)));
      // The same ustar magic and version, the same typeflag.
      for (const offset of [156, 257, 263]) expect(ours.subarray(offset, offset + 2)).to.deep.equal(captured.subarray(offset, offset + 2));
    });

    it('takes a JSON body with a token, and passes keysize and force on', async () => {
      const res = await postKeys({ mid: 'json-minion', token, keysize: 2048, force: false }).expect(200);
      expect((await members(res.body as Buffer)).map((m) => m.header.size)).to.satisfy((sizes: number[]) => sizes.every((s) => s > 0));
      expect(genAccepts().at(-1)).to.include({ id_: 'json-minion', keysize: 2048, force: false, token });
    });

    it('ignores Accept, as salt-api does for the archive', async () => {
      const res = await postKeys({ mid: 'tar-accept-minion', token }).set('Accept', 'application/x-tar').expect(200);
      expect(res.headers['content-type']).to.equal('application/x-tar');
      const bad = await h.http.post('/keys').set('Accept', 'application/x-tar').send({ token }).expect(400);
      expect(bad.headers['content-type']).to.equal('application/json');
    });

    it('an already accepted key without force gives two empty members; with force a new pair', async () => {
      const kept = await members((await postKeys({ mid: 'minion-1', token }).expect(200)).body as Buffer);
      expect(kept.map((m) => [m.header.name, m.header.size])).to.deep.equal([
        ['minion.pub', 0],
        ['minion.pem', 0],
      ]);
      const forced = await members((await postKeys({ mid: 'minion-1', token, force: true }).expect(200)).body as Buffer);
      expect(forced.map((m) => m.header.name)).to.deep.equal(['minion.pub', 'minion.pem']);
      expect(forced.every((m) => m.header.size > 0)).to.equal(true);
    });

    it('ignores the session header: credentials must be in the body', async () => {
      const res = await h.http.post('/keys').set('X-Auth-Token', token).set('Accept', 'application/json').send({ mid: 'no-creds' }).expect(401);
      expect(res.body).to.deep.equal({ status: 401, return: 'No authentication credentials given' });
    });

    it('401 in JSON for a wrong password or a bogus token, and no key is made', async () => {
      const before = genAccepts().length;
      const bad = await h.http
        .post('/keys')
        .set('Accept', 'application/json')
        .type('form')
        .send('mid=x1&username=saltdev&password=wrong&eauth=auto')
        .expect(401);
      expect(bad.body).to.deep.equal({ status: 401, return: 'Authentication failure of type "eauth" occurred for user saltdev.' });
      const bogus = await h.http.post('/keys').set('Accept', 'application/json').send({ mid: 'x2', token: 'ab'.repeat(32) }).expect(401);
      expect(bogus.body).to.deep.equal({ status: 401, return: 'Authentication failure of type "token" occurred.' });
      expect(genAccepts().length).to.equal(before);
      const list = await h.http.get('/keys').set('X-Auth-Token', token).expect(200);
      expect(list.body.return.minions).to.not.include.members(['x1', 'x2']);
    });

    it('400 without mid, or with no body at all', async () => {
      const res = await h.http.post('/keys').set('Accept', 'application/json').send({ token }).expect(400);
      expect(res.body).to.deep.equal({ status: 400, return: "Missing required field 'mid'" });
      await h.http.post('/keys').set('Accept', 'application/json').expect(400);
    });

    it('400 for a mid with a slash, dot-dot, NUL or control characters, before the master is asked', async () => {
      const before = h.sandbox.requests.length;
      for (const mid of ['a/b', '../x', '..', 'a\u0000b', 'a\nb', 'a\tb', 'a\\b', '', 5]) {
        const res = await h.http.post('/keys').set('Accept', 'application/json').send({ mid, token });
        expect(res.status, JSON.stringify(mid)).to.equal(400);
        expect(res.body.return).to.match(/^Invalid minion id/);
      }
      expect(h.sandbox.requests.length).to.equal(before);
    });

    it('quotes a double quote in the file name', async () => {
      const res = await postKeys({ mid: 'we"ird', token }).expect(200);
      expect(res.headers['content-disposition']).to.equal('attachment; filename="saltkeys-we\\"ird.tar"');
    });
  });
});
