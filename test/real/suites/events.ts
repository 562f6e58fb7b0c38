/** The event streams (GET /events, GET /ws/<token>) and the webhook (POST /hook/…) on a real master. */
import { expect } from 'chai';
import type { ReleaseFixture } from '../fixture.js';
import { firstReturn, run } from '../http.js';
import { waitForSseEvent } from '../sse.js';
import { openSse } from '../../support/sseClient.js';
import { READY_MESSAGE, SERVER_ACK, WsClient } from '../wsClient.js';

export function eventTests(fx: ReleaseFixture): void {
  /** Start test.ping on every minion without waiting for it; its jid. */
  async function pingAsync(): Promise<string> {
    const res = await run(fx.api.http, fx.token, [{ client: 'local_async', tgt: '*', fun: 'test.ping' }]).expect(200);
    return firstReturn<{ jid: string }>(res).jid;
  }

  describe('GET /events', () => {
    for (const [how, path, headers] of [
      ['X-Auth-Token header', '/events', (token: string) => ({ 'X-Auth-Token': token })],
      ['?token= query parameter', '/events?token=', () => ({})],
    ] as const) {
      it(`with the ${how}: streams the salt/job/<jid>/ret events of a job`, async () => {
        const url = path.endsWith('=') ? `${path}${fx.token}` : path;
        const stream = await openSse(fx.api.url, url, headers(fx.token));
        try {
          expect(stream.status).to.equal(200);
          expect(stream.headers['content-type']).to.match(/^text\/event-stream/);
          const jid = await pingAsync();
          for (const id of fx.minionIds) {
            const event = await waitForSseEvent(stream, `salt/job/${jid}/ret/${id}`);
            expect(event.data).to.include({ id, jid, fun: 'test.ping', return: true });
          }
        } finally {
          stream.close();
        }
      });
    }
  });

  describe('GET /ws/<token>', () => {
    it('after "websocket client ready", delivers the salt/job/<jid>/ret events of a job', async () => {
      const client = await WsClient.open(`${fx.api.url.replace(/^http/, 'ws')}/ws/${fx.token}`);
      try {
        client.send(READY_MESSAGE);
        await client.waitFor('acknowledgement', (message) => message === SERVER_ACK);
        const jid = await pingAsync();
        for (const id of fx.minionIds) {
          const event = await client.waitForEvent(`salt/job/${jid}/ret/${id}`);
          expect(event.data).to.include({ id, jid, fun: 'test.ping', return: true });
        }
      } finally {
        client.close();
      }
    });
  });

  describe('POST /hook/<path>', () => {
    it('answers success and the master publishes salt/netapi/hook/<path> on its own bus', async () => {
      const body = { foo: 'bar', n: 1 };
      const sent = JSON.stringify(body);
      const res = await fx.api.http
        .post('/hook/some/path')
        .set('X-Auth-Token', fx.token)
        .set('Accept', 'application/json')
        .set('Content-Type', 'application/json')
        .send(sent)
        .expect(200);
      expect(res.body).to.deep.equal({ success: true });
      // Read by our own tap on master_event_pub.ipc: the master itself republished it.
      const event = await fx.tap.waitFor('salt/netapi/hook/some/path', (candidate) => candidate.data.body === sent);
      expect(event.data.post).to.deep.equal(body);
      const headers = event.data.headers as Record<string, string>;
      expect(headers).to.include({ 'Content-Type': 'application/json' });
      expect(headers).to.not.have.property('X-Auth-Token');
    });
  });
}
