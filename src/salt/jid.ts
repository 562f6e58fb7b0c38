/** Job ids and time stamps in Salt's formats (wire.md §4). */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

let lastJidMicros = 0;

function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

interface UtcParts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
  micro: number;
}

function utcParts(micros: number): UtcParts {
  const date = new Date(Math.floor(micros / 1000));
  return {
    year: pad(date.getUTCFullYear(), 4),
    month: pad(date.getUTCMonth() + 1, 2),
    day: pad(date.getUTCDate(), 2),
    hour: pad(date.getUTCHours(), 2),
    minute: pad(date.getUTCMinutes(), 2),
    second: pad(date.getUTCSeconds(), 2),
    micro: micros % 1_000_000,
  };
}

/**
 * A new jid, `YYYYMMDDhhmmssffffff` in UTC. Strictly increasing within the process (Salt's
 * `unique_jid` guarantee without the pid suffix), so two jobs never share one.
 */
export function newJid(): string {
  const micros = Math.max(nowMicros(), lastJidMicros + 1);
  lastJidMicros = micros;
  const p = utcParts(micros);
  return `${p.year}${p.month}${p.day}${p.hour}${p.minute}${p.second}${pad(p.micro, 6)}`;
}

/**
 * `_stamp` of an event, `datetime.utcnow().isoformat()`: the fraction is left out when the
 * microseconds are 0. Salt 3008 stamps with an aware datetime, which adds `+00:00`
 * (salt-versions.md §5); `zoned` gives that form.
 */
export function eventStamp(zoned = false): string {
  const p = utcParts(nowMicros());
  const base = `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
  const stamp = p.micro === 0 ? base : `${base}.${pad(p.micro, 6)}`;
  return zoned ? `${stamp}+00:00` : stamp;
}

/** Whether a `_stamp` carries a zone (3008.0+), as in `2026-07-01T12:00:00.000001+00:00`. */
export function stampIsZoned(stamp: string): boolean {
  return /(?:[+-]\d{2}:\d{2}|Z)$/.test(stamp);
}

/** `time.time()`: float seconds since the epoch. */
export function epochSeconds(): number {
  return nowMicros() / 1_000_000;
}

/** `salt.utils.jid.jid_to_time`: `"2026, Nov 27 16:13:33.766126"`, or `""` for anything but a jid. */
export function jidToTime(jid: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{6})(?:_.+)?$/.exec(jid);
  if (!m) return '';
  const month = MONTHS[Number(m[2]) - 1];
  if (month === undefined) return '';
  return `${m[1]}, ${month} ${m[3]} ${m[4]}:${m[5]}:${m[6]}.${m[7]}`;
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
