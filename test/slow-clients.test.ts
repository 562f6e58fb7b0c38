/**
 * Slow and many clients: slowloris connections do not keep anyone else from being served, and
 * the server's timeouts (headers_timeout, request_timeout, keepalive_timeout) close what lingers
 * without cutting event streams or long answers. Bounds are generous functional ones; the
 * precise latency under attack is measured by the bench (bench/hardening.ts).
 */
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHarness, login, type Harness } from './support/harness.js';
import { openSse } from './support/sseClient.js';
import { exchange, jsonBodyOf, slowloris, statusOf } from './support/sockets.js';

describe('slow and many clients', () => {
  describe('under a slowloris attack (default timeouts)', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness();
    });
    after(async () => {
      await h.close();
    });

    it('150 connections trickling their headers do not keep a normal client from being served', async () => {
      const attack = await slowloris(h.url, 150, 100);
      try {
        await sleep(300);
        const token = await login(h);
        for (let i = 0; i < 10; i++) {
          const started = Date.now();
          await h.http.get('/').expect(200);
          await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local', tgt: 'minion-1', fun: 'test.ping' }]).expect(200, { return: [{ 'minion-1': true }] });
          expect(Date.now() - started).to.be.below(2000);
        }
        expect(attack.closed(), 'the attack connections are still held open, as headers_timeout (20 s) allows').to.equal(0);
      } finally {
        attack.stop();
      }
    });
  });

  describe('with short timeouts', () => {
    let h: Harness;
    let token: string;
    before(async () => {
      h = await startHarness({ api: { headers_timeout: 1, request_timeout: 1.5, keepalive_timeout: 1, events_heartbeat: 0.2 } });
      token = await login(h);
    });
    after(async () => {
      await h.close();
    });

    it('headers_timeout: connections that never finish their headers get 408 and are closed', async () => {
      const attack = await slowloris(h.url, 20, 100);
      const answered = exchange(h.url, (socket) => socket.write('GET / HTTP/1.1\r\nHost: x\r\n'), 5000);
      try {
        for (let i = 0; i < 50 && attack.closed() < 20; i++) await sleep(100);
        expect(attack.closed()).to.equal(20);
      } finally {
        attack.stop();
      }
      const one = await answered;
      expect(one.closed).to.equal(true);
      expect(statusOf(one.received)).to.equal(408);
      expect(jsonBodyOf(one.received)).to.deep.equal({ status: 408, return: 'Request not received in time' });
    });

    it('request_timeout: a body that never arrives in full gets 408, and nothing runs', async () => {
      const before = h.sandbox.requests.length;
      const result = await exchange(
        h.url,
        (socket) => socket.write(`POST / HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[{"client"`),
        6000,
      );
      expect(result.closed).to.equal(true);
      expect(statusOf(result.received)).to.equal(408);
      expect(h.sandbox.requests.slice(before).filter((load) => load.cmd !== 'get_token')).to.deep.equal([]);
    });

    it('request_timeout does not cut an answer that takes longer, nor an event stream', async () => {
      const stream = await openSse(h.url, `/events?token=${token}`);
      try {
        const res = await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'runner', fun: 'test.sleep', arg: [2] }]).expect(200);
        expect(res.body).to.deep.equal({ return: [true] });
        const beats = stream.text().split(': heartbeat\n\n').length - 1;
        await stream.waitFor((text) => text.split(': heartbeat\n\n').length - 1 > beats, 2000);
      } finally {
        stream.close();
      }
    });

    it('keepalive_timeout: an idle keep-alive connection is announced and closed', async () => {
      const result = await exchange(h.url, (socket) => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 6000);
      expect(statusOf(result.received)).to.equal(200);
      expect(result.received).to.include('Keep-Alive: timeout=1\r\n');
      // Node adds a second of slack to the announced timeout before it closes the socket.
      expect(result.closed).to.equal(true);
      expect(result.ms).to.be.within(900, 4000);
    });
  });
});
