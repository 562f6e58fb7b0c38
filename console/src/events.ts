/**
 * The live event view: an EventSource on GET /events (same origin, so the session cookie goes
 * along), filtered on the server by `tag` globs; newest first, the last few hundred kept.
 */
import { byId, el } from './dom.js';
import { field, type Json } from './json.js';
import { renderTree } from './tree.js';

const KEPT = 300;

/** Globs separated by spaces or commas, each one `tag` query parameter. */
export function tagGlobs(line: string): string[] {
  return line.split(/[\s,]+/).filter((glob) => glob !== '');
}

/** The tag with line-break opportunities after its slashes, so long tags wrap between words. */
function tagCode(tag: string): HTMLElement {
  const code = el('code', {});
  for (const [index, part] of tag.split('/').entries()) {
    if (index > 0) code.append('/', el('wbr'));
    code.append(part);
  }
  return code;
}

export class EventView {
  private readonly list = byId('events-list', HTMLOListElement);
  private readonly state = byId('events-state', HTMLSpanElement);
  private readonly tag = byId('events-tag', HTMLInputElement);
  private source?: EventSource;

  /** `ended` is told when the server refuses the stream for good (the session may be gone). */
  constructor(
    private readonly url: string,
    private readonly ended: () => void,
  ) {
    byId('events-filter', HTMLFormElement).addEventListener('submit', (event) => {
      event.preventDefault();
      // The list shows what the new filter lets through, not a mix of old and new.
      this.list.replaceChildren();
      this.start();
    });
    byId('events-clear', HTMLButtonElement).addEventListener('click', () => this.list.replaceChildren());
  }

  start(): void {
    this.stop();
    const query = new URLSearchParams();
    for (const glob of tagGlobs(this.tag.value)) query.append('tag', glob);
    const search = query.toString();
    const source = new EventSource(search === '' ? this.url : `${this.url}?${search}`);
    this.source = source;
    this.setState('connecting');
    source.addEventListener('open', () => this.setState('live'));
    source.addEventListener('message', (event) => this.add(event.data));
    source.addEventListener('error', () => {
      // EventSource reconnects by itself unless the server refused it outright.
      if (source.readyState !== EventSource.CLOSED) return this.setState('reconnecting');
      this.setState('closed');
      if (this.source === source) this.ended();
    });
  }

  stop(): void {
    this.source?.close();
    this.source = undefined;
    this.setState('off');
  }

  private setState(state: string): void {
    this.state.textContent = state;
    this.state.dataset.state = state;
  }

  private add(data: string): void {
    let event: Json;
    try {
      event = JSON.parse(data) as Json;
    } catch {
      return; // not an event of ours: the API sends every event as JSON
    }
    const tag = field(event, 'tag');
    const body = field(event, 'data') ?? null;
    if (typeof tag !== 'string') return;
    const stamp = field(body, '_stamp');
    const time = typeof stamp === 'string' ? stamp.slice(11, 19) : '';
    const item = el(
      'li',
      { class: 'event', 'data-tag': tag },
      el('details', {}, el('summary', {}, el('time', {}, time), tagCode(tag)), renderTree(body)),
    );
    this.list.prepend(item);
    while (this.list.childElementCount > KEPT) this.list.lastElementChild?.remove();
  }
}
