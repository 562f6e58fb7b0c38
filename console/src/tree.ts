/**
 * A JSON value as a collapsible tree: objects and lists are <details> elements (open near the
 * top, folded deeper down), scalars are leaves styled by type, so `true` and `"true"` differ.
 */
import { el } from './dom.js';
import { isObject, type Json } from './json.js';

/** Levels shown unfolded: a minion's return below the minion ids. */
const OPEN_DEPTH = 2;

function keyLabel(key: string | undefined): HTMLElement | null {
  return key === undefined ? null : el('span', { class: 'key' }, key);
}

function leaf(key: string | undefined, kind: string, shown: string): HTMLElement {
  return el('div', { class: 'leaf', 'data-key': key ?? '' }, keyLabel(key), el('span', { class: `value ${kind}` }, shown));
}

function node(key: string | undefined, value: Json, depth: number): HTMLElement {
  if (Array.isArray(value) || isObject(value)) {
    const entries: [string, Json][] = Array.isArray(value) ? value.map((item, index) => [String(index), item]) : Object.entries(value);
    const empty = Array.isArray(value) ? '[]' : '{}';
    if (entries.length === 0) return leaf(key, 'empty', empty);
    const count = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
    const branch = el('details', { class: 'branch', 'data-key': key ?? '' }, el('summary', {}, keyLabel(key), el('span', { class: 'count' }, count)));
    branch.open = depth < OPEN_DEPTH;
    branch.append(...entries.map(([childKey, child]) => node(childKey, child, depth + 1)));
    return branch;
  }
  if (value === null) return leaf(key, 'null', 'null');
  if (typeof value === 'string') return leaf(key, 'string', value);
  return leaf(key, typeof value, String(value));
}

export function renderTree(value: Json): HTMLElement {
  return el('div', { class: 'tree' }, node(undefined, value, 0));
}
