/** The `runner` and `runner_async` clients (netapi-clients.md §5). */
import { Errors } from '../../errors.js';
import type { ClientCall, ClientFunction, SaltContext } from '../context.js';
import { argField, kwargField, secondsField, singleFunField, truthy } from '../fields.js';
import { isMap } from '../master.js';
import { orderedEntries } from '../../../serializers/python-values.js';
import { setMember } from '../../../serializers/set-member.js';
import type { EventFrame, SaltMap, SaltValue } from '../types.js';
import { yamlify } from '../yamlify.js';
import { Signal } from './signal.js';

/** Keys that are not runner keywords: the function, credentials and call metadata. */
const NOT_KEYWORDS = new Set(['fun', 'arg', 'kwarg', 'username', 'password', 'eauth', 'token', 'client', 'user', 'key']);
/** `name=value` as Salt's argument parser recognises it (not `==`). */
const KEYWORD_ARG = /^([A-Za-z_][\w.-]*)=(?!=)([\s\S]*)$/;

/**
 * Reshape a chunk into the nested `kwarg: {arg, kwarg}` form the master calls `fun(*arg, **kwarg)`
 * with: `name=value` strings become keywords, `__kwarg__` dicts are merged, then `kwarg` and
 * every other top-level key (old style, e.g. `jid`) are added as keywords.
 */
export function runnerLoad(chunk: SaltMap, token: string, ignore: readonly string[]): SaltMap {
  const positional: SaltValue[] = [];
  const keywords: SaltMap = {};
  for (const item of argField(chunk)) {
    if (typeof item === 'string') {
      const m = KEYWORD_ARG.exec(item);
      if (m) setMember(keywords, m[1] as string, yamlify(m[2] as string));
      else positional.push(yamlify(item));
    } else if (isMap(item) && item.__kwarg__ === true) {
      for (const [k, v] of orderedEntries(item)) if (k !== '__kwarg__') setMember(keywords, k, v);
    } else positional.push(item);
  }
  for (const [key, value] of orderedEntries(kwargField(chunk))) setMember(keywords, key, value);
  for (const [key, value] of orderedEntries(chunk)) {
    if (!NOT_KEYWORDS.has(key) && !ignore.includes(key)) setMember(keywords, key, value);
  }
  return { fun: chunk.fun as string, kwarg: { arg: positional, kwarg: keywords }, token };
}

export const runnerAsync: ClientFunction = async (call, salt) => {
  singleFunField(call.chunk, 'runner_async');
  const reply = await salt.master.runner(runnerLoad(call.chunk, call.token.token, []));
  return [{ tag: reply.tag, jid: reply.jid }];
};

export const runner: ClientFunction = async (call, salt) => {
  singleFunField(call.chunk, 'runner');
  const timeout = secondsField(call.chunk, 'timeout', salt.settings.rest_timeout);
  const event = await runAndWait(call, salt, timeout * 1000);
  return [truthy(call.chunk.full_return) ? { tag: event.tag, data: event.data } : (event.data.return as SaltValue)];
};

/** Start the runner and wait for its `salt/run/<jid>/ret` event; 504 when it does not come in time. */
async function runAndWait(call: ClientCall, salt: SaltContext, timeoutMs: number): Promise<EventFrame> {
  if (!(await salt.bus.ready())) throw Errors.MasterUnavailable();
  const release = salt.bus.retain();
  const signal = new Signal();
  let unwatch: (() => void) | undefined;
  try {
    const reply = await salt.master.runner(runnerLoad(call.chunk, call.token.token, ['timeout', 'full_return']));
    call.onJob?.(reply.jid);
    let result: EventFrame | undefined;
    const retTag = `salt/run/${reply.jid}/ret`;
    unwatch = salt.bus.watchJid(reply.jid, {
      onEvent: (event) => {
        if (!result && event.tag.startsWith(retTag)) {
          result = event;
          signal.notify();
        }
      },
      onDown: () => signal.fail(Errors.MasterUnavailable()),
    });
    release();
    const deadline = Date.now() + timeoutMs;
    while (!result && Date.now() < deadline) await signal.wait(deadline);
    if (!result) throw Errors.ClientTimeout(`RunnerClient job '${reply.jid}'`);
    return result;
  } finally {
    release();
    unwatch?.();
  }
}
