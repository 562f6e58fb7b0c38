/** Requests the real-Salt suites make again and again, and the shapes of the answers they read. */
import { expect } from 'chai';
import type { Response, Test } from 'supertest';
import type request from 'supertest';
import { setTimeout as sleep } from 'node:timers/promises';
import { EAUTH_PASSWORD, EAUTH_USER } from './saltMaster.js';

export type Agent = ReturnType<typeof request>;
export type Json = Record<string, unknown>;

export interface LoginReturn {
  token: string;
  expire: number;
  start: number;
  user: string;
  eauth: string;
  perms: string[];
}

/** `body.return` after checking that it is a list. */
export function returnList(res: Response): unknown[] {
  const body = res.body as { return?: unknown };
  expect(body.return, `body ${res.text.slice(0, 300)}`).to.be.an('array');
  return body.return as unknown[];
}

/** `body.return[0]`, checked to be a mapping: what one lowstate chunk answers. */
export function firstReturn<T = Json>(res: Response): T {
  const [first] = returnList(res);
  expect(first, `body ${res.text.slice(0, 300)}`).to.be.an('object');
  return first as T;
}

/** POST /login; the status is the caller's to check. */
export function postLogin(http: Agent, username: string, password: string, eauth: string): Test {
  return http.post('/login').set('Accept', 'application/json').send({ username, password, eauth });
}

/** The token of a successful eauth-auto login. */
export async function login(http: Agent): Promise<string> {
  const res = await postLogin(http, EAUTH_USER, EAUTH_PASSWORD, 'auto').expect(200);
  return firstReturn<LoginReturn>(res).token;
}

/** POST / with the lowstate `body` under `token`, asking for JSON. */
export function run(http: Agent, token: string, body: Json | Json[]): Test {
  return http.post('/').set('X-Auth-Token', token).set('Accept', 'application/json').send(body);
}

/** GET `path` under `token`, asking for JSON. */
export function get(http: Agent, token: string, path: string): Test {
  return http.get(path).set('X-Auth-Token', token).set('Accept', 'application/json');
}

/**
 * Poll `probe` until it gives a value: the master's job cache is written just after the return
 * events that end a job, so a lookup right after a job may still find it incomplete.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}
