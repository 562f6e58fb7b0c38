/**
 * The function and its arguments. salt-ssh reads everything after the function from its command
 * line the way `salt` does (Salt's `parse_input`): `name=value` items are keywords, other items are
 * positional, and each is read as YAML. Structured values therefore travel as JSON text, which
 * YAML reads back unchanged.
 */
import { Errors } from '../../errors.js';
import { argField, kwargField } from '../fields.js';
import { setMember } from '../../../serializers/set-member.js';
import { isMap } from '../master.js';
import type { LowstateChunk, SaltMap, SaltValue } from '../types.js';
import { present } from './values.js';
import { renderJson } from '../../../serializers/json.js';

const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;
/** Salt's `_KWARG_REGEX`: what `parse_input` takes for a keyword argument. */
const KEYWORD_ARG = /^([A-Za-z_][\w.-]*)=(?!=)([\s\S]*)$/;
const KEYWORD_NAME = /^[A-Za-z_][\w.-]*$/;

export interface SshCall {
  fun: string;
  /** Positional arguments as salt-ssh will see them. */
  args: SaltValue[];
  /** Keyword arguments: `kwarg`, `__kwarg__` mappings and `name=value` strings of `arg`. */
  kwargs: SaltMap;
}

function hasBinary(value: SaltValue): boolean {
  if (value instanceof Uint8Array) return true;
  if (Array.isArray(value)) return value.some(hasBinary);
  return isMap(value) && Object.values(value).some(hasBinary);
}

/**
 * The text of one argument. A positional one may not start with `-`: after `--` optparse would not
 * read it as an option, but salt-ssh looks for `-H`/`--hosts` anywhere in its argv before parsing.
 * A keyword's value follows `name=`, so it cannot be mistaken for an option.
 */
function argvText(field: string, value: SaltValue, positional: boolean): string {
  if (hasBinary(value)) throw Errors.InvalidField(field, 'arguments without binary data');
  // Rendered as salt-api's JSON, which keeps big ints exact and key order as sent.
  const text = typeof value === 'string' ? value : renderJson(value);
  if (text.includes('\0')) throw Errors.InvalidField(field, 'arguments without NUL characters');
  if (positional && text.startsWith('-')) throw Errors.InvalidField(field, "arguments that do not start with '-'");
  return text;
}

function functionName(chunk: LowstateChunk, rawShell: boolean): string {
  const fun = present(chunk, 'fun');
  if (fun === undefined) throw Errors.MissingArgument('ssh');
  if (rawShell) {
    // salt-ssh appends a raw command to its ssh command line and re-splits it with shlex, where
    // leading blanks or quotes vanish: the command must open with a plain word, never an ssh option.
    if (typeof fun !== 'string' || !/^[A-Za-z0-9_./]/.test(fun)) throw Errors.InvalidField('fun', 'a shell command starting with a letter, digit, _ . or /');
    if (/proxycommand/i.test(fun)) throw Errors.InvalidField('fun', 'a shell command that does not mention ProxyCommand');
    return argvText('fun', fun, true);
  }
  if (typeof fun !== 'string' || !FUNCTION_NAME.test(fun)) {
    throw Errors.InvalidField('fun', 'one function name such as test.ping (salt-ssh runs one function per call)');
  }
  return fun;
}

/** The chunk's call, with every argument checked so that `callArgv` cannot fail. */
export function sshCall(chunk: LowstateChunk, rawShell: boolean): SshCall {
  const fun = functionName(chunk, rawShell);
  const args: SaltValue[] = [];
  const kwargs: SaltMap = {};
  for (const item of argField(chunk)) {
    // A raw shell command is the arguments joined in order: nothing there is a keyword.
    const keyword = !rawShell && typeof item === 'string' ? KEYWORD_ARG.exec(item) : null;
    if (keyword) setMember(kwargs, keyword[1] as string, keyword[2] as string);
    else if (!rawShell && isMap(item) && item.__kwarg__ === true) {
      for (const [key, value] of Object.entries(item)) if (key !== '__kwarg__') setMember(kwargs, key, value);
    } else args.push(item);
  }
  for (const [key, value] of Object.entries(kwargField(chunk))) setMember(kwargs, key, value);
  for (const arg of args) argvText('arg', arg, true);
  for (const [key, value] of Object.entries(kwargs)) {
    if (!KEYWORD_NAME.test(key)) throw Errors.InvalidField('kwarg', 'keyword names of letters, digits and _ . - (not starting with a digit)');
    argvText('kwarg', value, false);
  }
  return { fun, args, kwargs };
}

/** `<fun> [arg…] [name=value…]`, the part of salt-ssh's argv after the target. */
export function callArgv(call: SshCall): string[] {
  return [
    call.fun,
    ...call.args.map((arg) => argvText('arg', arg, true)),
    ...Object.entries(call.kwargs).map(([key, value]) => `${key}=${argvText('kwarg', value, false)}`),
  ];
}

/** `fun_args` of a per-host return: positional arguments, then the keywords as one mapping. */
export function funArgs(call: SshCall): SaltValue[] {
  return Object.keys(call.kwargs).length > 0 ? [...call.args, call.kwargs] : [...call.args];
}
