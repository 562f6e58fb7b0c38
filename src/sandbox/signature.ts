/**
 * Python function signatures for the simulated execution, runner and wheel functions, so that
 * arguments are bound with Python's rules and wrong calls fail with Python's (and Salt's) messages.
 */
import type { SaltMap, SaltValue } from '../salt/types.js';
import { PyError } from './python.js';
import { orderedEntries } from '../../serializers/python-values.js';
import { setMember } from '../../serializers/set-member.js';
import { pythonRepr } from '../salt/pythonRepr.js';

export interface Signature {
  /** The Python function name used in error messages. */
  readonly name: string;
  /** Positional-or-keyword parameters, in order. */
  readonly params: readonly string[];
  /** Defaults of the trailing parameters. */
  readonly defaults?: Readonly<Record<string, SaltValue>>;
  /** `*args` */
  readonly varargs?: boolean;
  /** `**kwargs` */
  readonly keywords?: boolean;
}

/** The result of binding a call: named parameters, extra positionals, extra keywords. */
export interface BoundCall {
  /** Every parameter of the signature, given or defaulted: functions read their own with `!`. */
  readonly values: Readonly<Record<string, SaltValue>>;
  readonly varargs: readonly SaltValue[];
  readonly kwargs: SaltMap;
}

/** The parameter's default, or undefined when it has none (a default is never undefined). */
function defaultOf(sig: Signature, param: string): SaltValue | undefined {
  return sig.defaults !== undefined && Object.hasOwn(sig.defaults, param) ? sig.defaults[param] : undefined;
}

function hasDefault(sig: Signature, param: string): boolean {
  return defaultOf(sig, param) !== undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function quoteList(names: string[]): string {
  const quoted = names.map((n) => `'${n}'`);
  if (quoted.length === 1) return quoted[0]!;
  if (quoted.length === 2) return `${quoted[0]} and ${quoted[1]}`;
  return `${quoted.slice(0, -1).join(', ')}, and ${quoted[quoted.length - 1]}`;
}

/** Call `sig` with `args`/`kwargs` as CPython would, raising the same TypeErrors. */
export function bindCall(sig: Signature, args: readonly SaltValue[], kwargs: SaltMap): BoundCall {
  const values: Record<string, SaltValue> = {};
  const extraKwargs: SaltMap = {};
  const positional = Math.min(args.length, sig.params.length);
  for (let i = 0; i < positional; i++) values[sig.params[i]!] = args[i]!;
  const varargs = sig.varargs ? args.slice(sig.params.length) : [];

  // CPython reports keyword problems before surplus positionals.
  for (const [key, value] of orderedEntries(kwargs)) {
    if (sig.params.includes(key)) {
      if (key in values) throw new PyError('TypeError', `${sig.name}() got multiple values for argument '${key}'`);
      values[key] = value;
    } else if (sig.keywords) {
      setMember(extraKwargs, key, value);
    } else {
      throw new PyError('TypeError', `${sig.name}() got an unexpected keyword argument '${key}'`);
    }
  }

  if (args.length > sig.params.length && !sig.varargs) {
    const required = sig.params.filter((p) => !hasDefault(sig, p)).length;
    const takes =
      required === sig.params.length
        ? plural(sig.params.length, 'positional argument')
        : `from ${required} to ${sig.params.length} positional arguments`;
    throw new PyError(
      'TypeError',
      `${sig.name}() takes ${takes} but ${args.length} ${args.length === 1 ? 'was' : 'were'} given`,
    );
  }

  const missing = sig.params.filter((p) => !(p in values) && !hasDefault(sig, p));
  if (missing.length > 0) {
    throw new PyError(
      'TypeError',
      `${sig.name}() missing ${plural(missing.length, 'required positional argument')}: ${quoteList(missing)}`,
    );
  }
  for (const param of sig.params) {
    const fallback = defaultOf(sig, param);
    if (!(param in values) && fallback !== undefined) values[param] = fallback;
  }
  return { values, varargs, kwargs: extraKwargs };
}

/**
 * `salt.utils.args.format_call`: map a flat dict of keywords onto the signature. Required
 * parameters become positionals, defaulted ones keywords; `ignored` keys are dropped; anything
 * else is an error unless the function takes `**kwargs`.
 */
export function formatCall(
  sig: Signature,
  data: SaltMap,
  qualifiedName: string,
  ignored: ReadonlySet<string>,
): { args: SaltValue[]; kwargs: SaltMap } {
  const rest: SaltMap = { ...data };
  const kwargs: SaltMap = {};
  const args: SaltValue[] = [];
  const missing: string[] = [];
  for (const param of sig.params) {
    const fallback = defaultOf(sig, param);
    if (fallback !== undefined) {
      kwargs[param] = param in rest ? rest[param]! : fallback;
      delete rest[param];
    } else if (param in rest) {
      args.push(rest[param]!);
      delete rest[param];
    } else {
      missing.push(param);
    }
  }
  if (missing.length > 0) {
    const total = args.length + missing.length;
    throw new PyError(
      'SaltInvocationError',
      `${sig.name} takes at least ${total} argument${total > 1 ? 's' : ''} (${args.length} given)`,
    );
  }
  const extra = Object.keys(rest).filter((k) => !ignored.has(k));
  if (sig.keywords) {
    for (const key of extra) setMember(kwargs, key, rest[key]!);
    return { args, kwargs };
  }
  if (extra.length === 1) {
    throw new PyError('SaltInvocationError', `${pythonRepr(extra[0]!)} is an invalid keyword argument for '${qualifiedName}'`);
  }
  if (extra.length > 1) {
    const head = extra.slice(0, -1).map(pythonRepr).join(', ');
    throw new PyError(
      'SaltInvocationError',
      `${head} and ${pythonRepr(extra[extra.length - 1]!)} are invalid keyword arguments for '${qualifiedName}'`,
    );
  }
  return { args, kwargs };
}

/** The `fun_args` Salt reports for a call: the positionals, then the keywords if there are any. */
export function funArgs(args: readonly SaltValue[], kwargs: SaltMap): SaltValue[] {
  return Object.keys(kwargs).length > 0 ? [...args, kwargs] : [...args];
}

/**
 * A bound call in `format_call` form: required parameters as positionals, defaulted ones (and any
 * `**kwargs`) as keywords.
 */
export function splitBound(sig: Signature, call: BoundCall): { args: SaltValue[]; kwargs: SaltMap } {
  const args: SaltValue[] = [];
  const kwargs: SaltMap = {};
  for (const param of sig.params) {
    if (hasDefault(sig, param)) kwargs[param] = call.values[param]!;
    else args.push(call.values[param]!);
  }
  for (const [key, value] of Object.entries(call.kwargs)) setMember(kwargs, key, value);
  return { args: [...args, ...call.varargs], kwargs };
}
