/**
 * The master-bound baseline: node:http (no Koa, no body parsing, no auth) in front of our
 * RequestChannel, MasterClient and EventBus, built by the API's own createSaltAdapter so pool
 * size, timeouts and bus subscription are the API's. Each path sends the master request the API
 * sends for that scenario and answers the reply as JSON; the API's cost is what it adds on top.
 *
 *   node dist/bench/baseline/master.js <config dir>
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Signal } from '../../src/salt/clients/signal.js';
import type { PublishLoad } from '../../src/salt/master.js';
import type { SaltMap } from '../../src/salt/types.js';
import { CREDENTIALS, KEY_LIST_ALL, TEST_PING, type MasterCall } from '../workload.js';
import { saltAdapterFor } from './saltAdapter.js';
import { serve } from './serve.js';

const configDir = process.argv[2];
if (configDir === undefined) throw new Error('usage: master.js <config dir>');
const { settings, salt } = await saltAdapterFor(configDir);
// One login up front, as the API scenarios use the token of one login.
const session = await salt.master.mkToken({ ...CREDENTIALS });
if (session === undefined) throw new Error('the sandbox refused the bench credentials');
const token = session.token;

/**
 * The load the API publishes for `[{client, tgt, fun}]` (src/salt/clients/publish.ts): the
 * chunk keys it does not name (here `client`) travel in `kwargs` beside the token.
 */
function publishLoad(client: 'local' | 'local_async'): PublishLoad {
  return { ...TEST_PING, arg: [], tgt_type: 'glob', ret: '', jid: '', kwargs: { client, token } };
}

/** Publish, then wait on the bus for every targeted minion's return (or the master's `timeout`). */
async function publishAndCollect(): Promise<SaltMap> {
  // Returns may reach the bus before the publish reply names their jid: the bus keeps them meanwhile.
  const release = salt.bus.retain();
  try {
    const job = await salt.master.publish(publishLoad('local'));
    if (job === undefined) throw new Error('no minion matched');
    const returns: SaltMap = {};
    const outstanding = new Set(job.minions);
    const signal = new Signal();
    const prefix = `salt/job/${job.jid}/ret/`;
    const unwatch = salt.bus.watchJid(job.jid, {
      onEvent: ({ tag, data }) => {
        if (!tag.startsWith(prefix) || !('return' in data)) return;
        const id = tag.slice(prefix.length);
        returns[id] = data.return;
        outstanding.delete(id);
        signal.notify();
      },
      onDown: () => signal.fail(new Error('the event bus dropped')),
    });
    release();
    const deadline = Date.now() + settings.master.timeout * 1000;
    try {
      while (outstanding.size > 0 && Date.now() < deadline) await signal.wait(deadline);
    } finally {
      unwatch();
    }
    return returns;
  } finally {
    release();
  }
}

const CALLS: Record<MasterCall, () => Promise<unknown>> = {
  login: () => salt.master.mkToken({ ...CREDENTIALS }),
  local_async: () => salt.master.publish(publishLoad('local_async')),
  local: publishAndCollect,
  // The chunk the API's wheel client forwards: the lowstate keys plus the confirmed token.
  wheel: () => salt.master.wheel({ client: 'wheel', ...KEY_LIST_ALL, token }),
};

function isMasterCall(name: string): name is MasterCall {
  return Object.hasOwn(CALLS, name);
}

function answer(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

await serve((req: IncomingMessage, res: ServerResponse) => {
  const name = (req.url ?? '').slice(1);
  if (!isMasterCall(name)) {
    answer(res, 404, { return: `no master call ${name}` });
    return;
  }
  CALLS[name]().then(
    (value) => answer(res, 200, { return: [value] }),
    (error: unknown) => answer(res, 500, { return: String(error) }),
  );
});
