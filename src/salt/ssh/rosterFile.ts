/**
 * `roster_file`: as in salt-api (`get_roster_file` with custom rosters disabled), a request only
 * names a roster; the file is looked up inside the master's `rosters` directories, so a request
 * can never point salt-ssh at an arbitrary file (`../../etc/passwd`).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Errors } from '../../errors.js';
import type { LowstateChunk } from '../types.js';
import { patternValue, present } from './values.js';

const ROSTER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** `--roster-file=<absolute path>` for the chunk's roster name, or nothing when it names none. */
export async function rosterFileFlags(chunk: LowstateChunk, rosters: readonly string[]): Promise<string[]> {
  const value = present(chunk, 'roster_file');
  if (value === undefined) return [];
  const name = patternValue('roster_file', value, ROSTER_NAME, 'a roster file name without a directory part');
  if (name.includes('..')) throw Errors.InvalidField('roster_file', "a roster file name without '..'");
  for (const dir of rosters) {
    const file = path.join(dir, name);
    if (await isFile(file)) return [`--roster-file=${file}`];
  }
  const where = rosters.length === 0 ? "the master's 'rosters' option lists no directories" : "it is in none of the master's 'rosters' directories";
  throw Errors.InvalidField('roster_file', `the name of an existing roster file (${where})`);
}
