/**
 * The jobs view: the master's job cache (GET /jobs, runner jobs.list_jobs), newest first, and
 * one job opened (GET /jobs/<jid>): what ran where, and each minion's return as a tree.
 */
import type { Api } from './api.js';
import { byId, el } from './dom.js';
import { field, first, isObject, text, type Json } from './json.js';
import { renderTree } from './tree.js';

/** The newest jobs shown; the master keeps many more. */
const LISTED = 100;

/** jobs.list_jobs' `2026, Nov 27 18:33:03.447521`, as `Nov 27 18:33:03` for the list. */
function started(value: Json | undefined): string {
  return text(value).replace(/^\d{4}, /, '').replace(/\.\d+$/, '');
}

export class JobsView {
  private readonly rows = byId('jobs-rows', HTMLTableSectionElement);
  private readonly detail = byId('job-detail', HTMLDivElement);

  constructor(
    private readonly api: Api,
    private readonly report: (error: unknown) => void,
  ) {}

  async list(): Promise<void> {
    try {
      const jobs = first(field(await this.api.get('/jobs'), 'return'));
      const entries = isObject(jobs) ? Object.entries(jobs).sort(([a], [b]) => b.localeCompare(a)).slice(0, LISTED) : [];
      this.rows.replaceChildren(
        ...(entries.length > 0 ? entries.map(([jid, job]) => this.row(jid, job)) : [el('tr', {}, el('td', { colspan: '5', class: 'muted' }, 'No jobs.'))]),
      );
    } catch (error) {
      this.report(error);
    }
  }

  async open(jid: string): Promise<void> {
    delete this.detail.dataset.jid;
    this.detail.replaceChildren(el('p', { class: 'muted' }, `Loading job ${jid}…`));
    try {
      const answer = await this.api.get(`/jobs/${encodeURIComponent(jid)}`);
      const info = first(field(answer, 'info'));
      const facts: [string, Json | undefined][] = [
        ['Function', field(info, 'Function')],
        ['Arguments', field(info, 'Arguments')],
        ['Target', field(info, 'Target')],
        ['User', field(info, 'User')],
        ['Started', field(info, 'StartTime')],
        ['Error', field(info, 'Error')],
      ];
      this.detail.replaceChildren(
        el('h3', {}, `Job ${jid}`),
        el('dl', { class: 'facts' }, ...facts.filter(([, value]) => value !== undefined).flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, text(value))])),
        el('h4', {}, 'Returns'),
        renderTree(first(field(answer, 'return')) ?? null),
      );
      this.detail.dataset.jid = jid;
    } catch (error) {
      this.detail.replaceChildren();
      this.report(error);
    }
  }

  private row(jid: string, job: Json): HTMLTableRowElement {
    const open = el('button', { type: 'button', class: 'link' }, jid);
    open.addEventListener('click', () => void this.open(jid));
    return el(
      'tr',
      { 'data-jid': jid },
      el('td', {}, open),
      el('td', {}, text(field(job, 'Function'))),
      el('td', {}, text(field(job, 'Target'))),
      el('td', {}, text(field(job, 'User'))),
      el('td', {}, started(field(job, 'StartTime'))),
    );
  }
}
