/** Salt job ids and time stamps (wire.md §4). */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const JID_PATTERN = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{6})(?:_.*)?$/;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

let lastJid = '';

/** A new jid: UTC `YYYYMMDDhhmmssffffff`, strictly increasing within this process. */
export function newJid(now: Date = new Date()): string {
  let micros = now.getUTCMilliseconds() * 1000;
  let jid = '';
  do {
    jid =
      `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}` +
      `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}${pad(micros, 6)}`;
    micros++;
  } while (jid <= lastJid && micros < 1_000_000);
  if (jid <= lastJid) jid = String(BigInt(lastJid) + 1n);
  lastJid = jid;
  return jid;
}

/** True when the text is a plain 20-digit jid, optionally with Salt's `_suffix`. */
export function isJid(text: string): boolean {
  return JID_PATTERN.test(text);
}

/** Salt's `jid_to_time`: `"2026, Nov 27 16:13:33.766126"`, or `""` when the jid is not 20 digits. */
export function jidToTime(jid: string): string {
  const m = JID_PATTERN.exec(jid);
  if (!m) return '';
  const month = MONTHS[Number(m[2]) - 1];
  if (!month) return '';
  return `${m[1]}, ${month} ${m[3]} ${m[4]}:${m[5]}:${m[6]}.${m[7]}`;
}

/** `_stamp` of an event: UTC ISO time without zone, fraction omitted when it is exactly zero. */
export function eventStamp(now: Date = new Date()): string {
  const base =
    `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())}` +
    `T${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}`;
  const micros = now.getUTCMilliseconds() * 1000;
  return micros === 0 ? base : `${base}.${pad(micros, 6)}`;
}

/** The jid an event belongs to: `<jid>`, `salt/job/<jid>/…`, `salt/run/<jid>/…`, `salt/wheel/<jid>/…`. */
export function jidOfTag(tag: string): string | undefined {
  if (tag.startsWith('salt/')) {
    const parts = tag.split('/', 3);
    if (parts[1] === 'job' || parts[1] === 'run' || parts[1] === 'wheel') return parts[2] || undefined;
    return undefined;
  }
  return /^\d{20}$/.test(tag) ? tag : undefined;
}
