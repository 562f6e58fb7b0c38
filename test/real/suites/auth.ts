/** POST /login with the master's eauth backends, and POST /logout. */
import { expect } from 'chai';
import type { Response } from 'supertest';
import type { ReleaseFixture } from '../fixture.js';
import { type LoginReturn, eventually, firstReturn, postLogin, run } from '../http.js';
import { EAUTH_PASSWORD, EAUTH_PERMS, EAUTH_USER, SHARED_SECRET } from '../saltMaster.js';

const LOGIN_FAILED = { status: 401, return: 'Could not authenticate using provided credentials' };
/**
 * How soon another API process must refuse a logged-out token: longer than its token_cache_ttl
 * (5 s), after which it asks the master again, however the logout reaches it.
 */
const LOGOUT_PROPAGATION_MS = 10_000;
const NOT_AUTHENTICATED = { status: 401, return: 'No permission -- see authorization schemes' };

/** A login answer for `eauth`: a fresh master token (sha256, the default hash_type) with the user's rights. */
function expectLogin(res: Response, eauth: string): LoginReturn {
  const reply = firstReturn<LoginReturn>(res);
  expect(reply.token).to.match(/^[0-9a-f]{64}$/);
  expect(res.headers['x-auth-token']).to.equal(reply.token);
  expect(reply).to.include({ user: EAUTH_USER, eauth });
  expect(reply.perms).to.have.members(EAUTH_PERMS);
  const now = Date.now() / 1000;
  expect(reply.start).to.be.within(now - 60, now + 1);
  expect(reply.expire).to.be.above(reply.start);
  return reply;
}

/** The token runs a job on both minions: the master itself accepted it. */
async function expectTokenWorks(fx: ReleaseFixture, token: string): Promise<void> {
  const res = await run(fx.api.http, token, [{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(200);
  expect(firstReturn(res)).to.deep.equal(Object.fromEntries(fx.minionIds.map((id) => [id, true])));
}

export function loginTests(fx: ReleaseFixture): void {
  describe('POST /login', () => {
    it('eauth auto: 200 with a master token, the user and its permissions; the token runs jobs', async () => {
      const res = await postLogin(fx.api.http, EAUTH_USER, EAUTH_PASSWORD, 'auto').expect(200);
      await expectTokenWorks(fx, expectLogin(res, 'auto').token);
    });

    it('eauth sharedsecret: the master\'s shared secret logs in; the token runs jobs', async () => {
      const res = await postLogin(fx.api.http, EAUTH_USER, SHARED_SECRET, 'sharedsecret').expect(200);
      await expectTokenWorks(fx, expectLogin(res, 'sharedsecret').token);
    });

    it('a wrong password is a 401 with no token (sharedsecret; eauth auto accepts any password by design)', async () => {
      const res = await postLogin(fx.api.http, EAUTH_USER, `${SHARED_SECRET}-wrong`, 'sharedsecret').expect(401);
      expect(res.body).to.deep.equal(LOGIN_FAILED);
      expect(res.headers).to.not.have.property('x-auth-token');
    });

    it('a user that external_auth does not list gets a token without permissions (eauth auto accepts anyone), which runs nothing', async () => {
      // salt-api answers so too: the master's mk_token only asks the backend, and the permissions
      // are looked up afterwards (rest_cherrypy Login.POST).
      const res = await postLogin(fx.api.http, 'nobody', 'whatever', 'auto').expect(200);
      const reply = firstReturn<LoginReturn>(res);
      expect(reply).to.include({ user: 'nobody', eauth: 'auto' });
      expect(reply.perms).to.deep.equal({}); // salt-api: `perms or {}`
      const refused = await run(fx.api.http, reply.token, [{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(401);
      expect(refused.body).to.have.property('status', 401);
    });
  });
}

export function logoutTests(fx: ReleaseFixture): void {
  describe('POST /logout', () => {
    it('200; the token is refused at once here, and soon by another API process on the same master', async () => {
      // Not eauth auto: the API hands the same credentials the same token again, and the token
      // of the auto login is the one the other suites share.
      const login = await postLogin(fx.api.http, EAUTH_USER, SHARED_SECRET, 'sharedsecret').expect(200);
      const token = expectLogin(login, 'sharedsecret').token;
      expect(token).to.not.equal(fx.token);
      // The other process knows the token as valid before the logout, as a second worker would.
      const other = await fx.api.startAnotherServer();
      try {
        await run(other.http, token, [{ client: 'runner', fun: 'test.arg' }]).expect(200);
        const res = await fx.api.http.post('/logout').set('X-Auth-Token', token).set('Accept', 'application/json').expect(200);
        expect(res.body).to.deep.equal({ return: 'Your token has been cleared' });
        const after = await run(fx.api.http, token, [{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(401);
        expect(after.body).to.deep.equal(NOT_AUTHENTICATED);
        const status = await eventually(
          'the other API process to refuse the logged-out token',
          async () => {
            const answer = await run(other.http, token, [{ client: 'runner', fun: 'test.arg' }]);
            return answer.status === 401 ? answer.status : undefined;
          },
          LOGOUT_PROPAGATION_MS,
        );
        expect(status).to.equal(401);
      } finally {
        await other.close();
      }
    });
  });
}
