/**
 * Building and sending a publish the way LocalClient does (netapi-clients.md §3.1): named
 * parameters become the publish fields, every other chunk key travels in `kwargs`, and the
 * credential is always a token (never a password: the master stores the whole load).
 */
import type { ClientCall, SaltContext } from '../context.js';
import { argField, funField, kwargField, secondsField, stringField, tgtField } from '../fields.js';
import type { PublishLoad } from '../master.js';
import { orderedEntries } from '../../../serializers/python-values.js';
import { setMember } from '../../../serializers/set-member.js';
import type { SaltMap } from '../types.js';

/** Keys LocalClient takes as named parameters; everything else goes into `kwargs`. */
const NAMED = new Set(['tgt', 'fun', 'arg', 'kwarg', 'timeout', 'tgt_type', 'ret', 'jid', 'full_return']);
/** Credentials never leave the API inside `kwargs`: the confirmed token replaces them. */
const CREDENTIALS = new Set(['token', 'eauth', 'username', 'password']);

export interface PublishRequest {
  load: PublishLoad;
  /** Seconds, as LocalClient uses it: the publish timeout and the return-gathering window. */
  timeout: number;
}

export function buildPublish(call: ClientCall, salt: SaltContext, client: string): PublishRequest {
  const { chunk, token } = call;
  const fun = funField(chunk, client);
  const tgt = tgtField(chunk);
  const arg = [...argField(chunk)];
  const kwarg = kwargField(chunk);
  // salt.utils.args.condition_input: the marker first, then the keywords in their order.
  if (Object.keys(kwarg).length > 0) arg.push({ __kwarg__: true, ...kwarg });
  const kwargs: SaltMap = {};
  for (const [key, value] of orderedEntries(chunk)) {
    if (!NAMED.has(key) && !CREDENTIALS.has(key)) setMember(kwargs, key, value);
  }
  kwargs.token = token.token;
  const load: PublishLoad = {
    tgt,
    fun,
    arg,
    tgt_type: stringField(chunk, 'tgt_type', 'glob'),
    ret: stringField(chunk, 'ret', ''),
    jid: stringField(chunk, 'jid', ''),
    kwargs,
  };
  return { load, timeout: secondsField(chunk, 'timeout', salt.settings.timeout) };
}
