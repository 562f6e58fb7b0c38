/** The benchmarked requests, how each is checked, and which baseline it is measured against. */
import { CREDENTIALS, KEY_LIST_ALL, MINIONS, TEST_PING, type MasterCall } from './workload.js';

export const SCENARIO_IDS = ['root', 'login', 'login_floor', 'local_async', 'local', 'wheel'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface Scenario {
  id: ScenarioId;
  /** As printed in the table. */
  label: string;
  /** A bare Koa app answering the same bytes, or our master client behind node:http. */
  baseline: { kind: 'koa' } | { kind: 'master'; call: MasterCall };
  /** What is measured against the baseline: the API, or the Koa floor of login (bench/baseline/koaLogin.ts). */
  front: 'api' | 'koa-floor';
  /** Needs the X-Auth-Token of one earlier login. */
  needsToken: boolean;
  /** Least acceptable API/baseline ratio of requests per second; none for the Koa floor, which is there for comparison. */
  target?: number;
  /** The API request; the baseline gets the same method, headers and body on its own path. */
  request(token: string | undefined): HttpRequest;
  /** Whether a reply body is the right answer, so no figure is ever taken of an error path. */
  answers(reply: unknown): boolean;
}

type JsonMap = Record<string, unknown>;

const isMap = (value: unknown): value is JsonMap => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `return[0]` of a `{"return": [...]}` reply. */
function firstReturn(reply: unknown): JsonMap | undefined {
  if (!isMap(reply) || !Array.isArray(reply.return)) return undefined;
  const first: unknown = reply.return[0];
  return isMap(first) ? first : undefined;
}

/** A JSON POST, with the session token when one is given. */
export function post(path: string, body: unknown, token?: string): HttpRequest {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token !== undefined) headers['X-Auth-Token'] = token;
  return { method: 'POST', path, headers, body: JSON.stringify(body) };
}

/** The one login whose token the token-bound scenarios present. */
export const LOGIN_REQUEST: HttpRequest = post('/login', CREDENTIALS);

const MASTER_TARGET = 0.8;

const answersLogin = (reply: unknown): boolean => typeof firstReturn(reply)?.token === 'string';

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'root',
    label: 'GET /',
    baseline: { kind: 'koa' },
    front: 'api',
    needsToken: false,
    target: 0.5,
    request: () => ({ method: 'GET', path: '/', headers: { Accept: 'application/json' } }),
    answers: (reply) => isMap(reply) && reply.return === 'Welcome',
  },
  {
    id: 'login',
    label: 'POST /login',
    baseline: { kind: 'master', call: 'login' },
    front: 'api',
    needsToken: false,
    target: MASTER_TARGET,
    request: () => LOGIN_REQUEST,
    answers: answersLogin,
  },
  {
    id: 'login_floor',
    label: 'login, Koa floor',
    baseline: { kind: 'master', call: 'login' },
    front: 'koa-floor',
    needsToken: false,
    request: () => LOGIN_REQUEST,
    answers: answersLogin,
  },
  {
    id: 'local_async',
    label: 'local_async',
    baseline: { kind: 'master', call: 'local_async' },
    front: 'api',
    needsToken: true,
    target: MASTER_TARGET,
    request: (token) => post('/', [{ client: 'local_async', ...TEST_PING }], token),
    answers: (reply) => {
      const job = firstReturn(reply);
      return typeof job?.jid === 'string' && Array.isArray(job.minions) && job.minions.length === MINIONS;
    },
  },
  {
    id: 'local',
    label: 'local',
    baseline: { kind: 'master', call: 'local' },
    front: 'api',
    needsToken: true,
    target: MASTER_TARGET,
    request: (token) => post('/', [{ client: 'local', ...TEST_PING }], token),
    answers: (reply) => {
      const returns = Object.values(firstReturn(reply) ?? {});
      return returns.length === MINIONS && returns.every((value) => value === true);
    },
  },
  {
    id: 'wheel',
    label: 'wheel key.list_all',
    baseline: { kind: 'master', call: 'wheel' },
    front: 'api',
    needsToken: true,
    target: MASTER_TARGET,
    request: (token) => post('/', [{ client: 'wheel', ...KEY_LIST_ALL }], token),
    answers: (reply) => {
      const data = firstReturn(reply)?.data;
      return isMap(data) && data.success === true;
    },
  },
];
