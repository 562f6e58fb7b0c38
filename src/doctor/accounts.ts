/**
 * User and group names for the permission report. Node has no getpwuid/getgrgid, and a report
 * that says "owned by 0:989" sends the operator off to look the numbers up; /etc/passwd and
 * /etc/group hold the local accounts, and a number is shown where they do not name one.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

function namesById(file: string): Map<number, string> {
  const names = new Map<number, string>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return names;
  }
  for (const line of text.split('\n')) {
    // name:password:id:… in both files.
    const [name, , id] = line.split(':');
    if (name && id !== undefined && /^\d+$/.test(id) && !names.has(Number(id))) names.set(Number(id), name);
  }
  return names;
}

export function userName(uid: number): string {
  return namesById('/etc/passwd').get(uid) ?? String(uid);
}

export function groupName(gid: number): string {
  return namesById('/etc/group').get(gid) ?? String(gid);
}

export interface CurrentUser {
  uid: number;
  gid: number;
  /** Primary and supplementary groups. */
  groups: number[];
}

export function currentUser(): CurrentUser {
  const uid = process.getuid?.() ?? -1;
  const gid = process.getgid?.() ?? -1;
  const groups = [...new Set([gid, ...(process.getgroups?.() ?? [])])];
  return { uid, gid, groups };
}

/** `nobody (uid 65534, groups nogroup)`. */
export function describeCurrentUser(user: CurrentUser = currentUser()): string {
  let name: string;
  try {
    name = os.userInfo().username;
  } catch {
    // A uid without a passwd entry (containers) has no name.
    name = userName(user.uid);
  }
  return `${name} (uid ${user.uid}, groups ${user.groups.map(groupName).join(', ')})`;
}
