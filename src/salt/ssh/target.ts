/**
 * `tgt` and `tgt_type` for salt-ssh. When no roster entry matches, salt-ssh may try the target
 * itself as a host name on its ssh command line, so a target gets the same character checks as
 * an ssh option value, plus a character set that covers glob, regex, grain and range syntax.
 */
import { Errors } from '../../errors.js';
import type { LowstateChunk } from '../types.js';
import { patternValue, present, refuseInjection } from './values.js';

/** The target types salt-ssh's command line can select (glob needs no flag). */
const TARGET_FLAGS: Record<string, string[]> = {
  glob: [],
  pcre: ['--pcre'],
  list: ['--list'],
  grain: ['--grain'],
  grain_pcre: ['--grain-pcre'],
  nodegroup: ['--nodegroup'],
  range: ['--range'],
};

const EXPRESSION = /^[A-Za-z0-9_.*?!@:,^$|()+{}%[\]-]+$/;
const EXPRESSION_EXPECTED = 'a target expression of letters, digits and _ . * ? ! @ : , ^ $ | ( ) + { } % [ ] -';
const MINION_ID = /^[A-Za-z0-9_.@:[\]-]+$/;

export interface SshTarget {
  /** Flags selecting the target type. */
  flags: string[];
  /** The target, a list joined with commas as `salt-ssh --list` reads it. */
  expression: string;
}

export function sshTarget(chunk: LowstateChunk): SshTarget {
  const tgt = present(chunk, 'tgt');
  const tgtType = present(chunk, 'tgt_type') ?? (Array.isArray(tgt) ? 'list' : 'glob');
  const flags = typeof tgtType === 'string' && Object.hasOwn(TARGET_FLAGS, tgtType) ? TARGET_FLAGS[tgtType] : undefined;
  if (flags === undefined) {
    throw Errors.InvalidField('tgt_type', `one of ${Object.keys(TARGET_FLAGS).join(', ')} (the target types salt-ssh supports)`);
  }
  if (Array.isArray(tgt)) {
    if (tgtType !== 'list') throw Errors.InvalidField('tgt', "a target expression (a list of ids needs tgt_type 'list')");
    if (tgt.length === 0) throw Errors.InvalidField('tgt', 'a non-empty list of ids');
    const ids = tgt.map((id) => patternValue('tgt', id, MINION_ID, 'minion ids of letters, digits and _ . @ : [ ] -'));
    return { flags, expression: ids.join(',') };
  }
  if (tgt === undefined) throw Errors.InvalidField('tgt', 'a target (missing)');
  if (typeof tgt !== 'string') throw Errors.InvalidField('tgt', 'a target expression or a list of minion ids');
  refuseInjection('tgt', tgt);
  if (!EXPRESSION.test(tgt)) throw Errors.InvalidField('tgt', EXPRESSION_EXPECTED);
  return { flags, expression: tgt };
}
