/**
 * The minions view: every minion key the master knows with its state (GET /keys, wheel
 * key.list_all) and a few grains of the minions that answer (GET /minions, grains.items).
 */
import type { Api } from './api.js';
import { el } from './dom.js';
import { field, first, isObject, text, type Json } from './json.js';

/** key.list_all's lists, in the order a key moves through them. */
const KEY_STATES: [string, string][] = [
  ['minions', 'accepted'],
  ['minions_pre', 'pending'],
  ['minions_rejected', 'rejected'],
  ['minions_denied', 'denied'],
];

interface MinionRow {
  id: string;
  key: string;
  /** grains.items of the minion; false when it did not answer, undefined when it was not asked. */
  grains: Json | undefined;
}

function keyStates(keys: Json | undefined): Map<string, string> {
  const states = new Map<string, string>();
  for (const [list, state] of KEY_STATES) {
    const ids = field(keys, list);
    if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string') states.set(id, state);
  }
  return states;
}

function rows(keys: Json | undefined, grains: Json | undefined): MinionRow[] {
  const states = keyStates(keys);
  const answered = isObject(grains) ? grains : {};
  const ids = [...new Set([...states.keys(), ...Object.keys(answered)])].sort();
  return ids.map((id) => ({ id, key: states.get(id) ?? 'unknown', grains: answered[id] }));
}

/** The addresses worth showing: not loopback. */
function addresses(grains: Json | undefined): string {
  const ipv4 = field(grains, 'ipv4');
  return Array.isArray(ipv4) ? ipv4.filter((ip) => typeof ip === 'string' && !ip.startsWith('127.')).join(', ') : '';
}

function row({ id, key, grains }: MinionRow): HTMLTableRowElement {
  const answered = isObject(grains);
  const os = answered ? `${text(field(grains, 'os'))} ${text(field(grains, 'osrelease'))}`.trim() : key === 'accepted' ? 'no answer' : '';
  return el(
    'tr',
    { 'data-minion': id, class: answered ? '' : 'silent' },
    el('td', {}, id),
    el('td', {}, el('span', { class: `key ${key}` }, key)),
    el('td', {}, os),
    el('td', {}, addresses(grains)),
    el('td', {}, text(field(grains, 'saltversion'))),
  );
}

export async function loadMinions(api: Api, body: HTMLTableSectionElement): Promise<void> {
  const [keys, grains] = await Promise.all([api.get('/keys'), api.get('/minions')]);
  const found = rows(field(keys, 'return'), first(field(grains, 'return')));
  body.replaceChildren(...(found.length > 0 ? found.map(row) : [el('tr', {}, el('td', { colspan: '5', class: 'muted' }, 'No minions.'))]));
}
