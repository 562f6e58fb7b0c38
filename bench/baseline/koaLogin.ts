/**
 * The Koa floor of `POST /login`: one Koa middleware doing only what a drop-in login must do (read
 * and parse the JSON body, mk_token through our adapter, answer `X-Auth-Token`, the session cookie
 * and salt-api's body through our JSON serializer) and nothing of the API's onion: no router,
 * Accept negotiation, limits, CORS, stats, error mapping or checks. Measured against the master
 * baseline like the API, it shows how much of the API's distance from that baseline Koa and
 * login's own work take before any of our layers.
 *
 *   node dist/bench/baseline/koaLogin.js <config dir>
 */
import Koa from 'koa';
import getRawBody from 'raw-body';
import { sessionCookie } from '../../middleware/session.js';
import { renderJson } from '../../serializers/json.js';
import { loginReturn } from '../../src/routes/login.js';
import type { SaltMap } from '../../src/salt/types.js';
import { saltAdapterFor } from './saltAdapter.js';
import { serve } from './serve.js';

const configDir = process.argv[2];
if (configDir === undefined) throw new Error('usage: koaLogin.js <config dir>');
const { settings, salt } = await saltAdapterFor(configDir);

const app = new Koa();
app.use(async (ctx) => {
  const raw = await getRawBody(ctx.req, { limit: settings.api.max_request_body_size, length: ctx.req.headers['content-length'] });
  const credentials = JSON.parse(raw.toString('utf8')) as SaltMap;
  const token = await salt.tokens.login(credentials);
  if (!token) {
    ctx.status = 401;
    return;
  }
  ctx.set('X-Auth-Token', token.token);
  ctx.append('Set-Cookie', sessionCookie(token.token, token.expire, false));
  ctx.res.setHeader('Content-Type', 'application/json');
  ctx.body = renderJson(loginReturn(token, settings.master.external_auth));
});
await serve(app.callback());
