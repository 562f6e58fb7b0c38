/**
 * The run view: one lowstate chunk for the chosen client, POSTed to the API root with the
 * session (`POST /`), and its return as a tree. An async client's answer offers its job.
 */
import type { Api } from './api.js';
import { keyword, splitWords } from './args.js';
import { byId, el, show } from './dom.js';
import { field, first, type JsonObject } from './json.js';
import { renderTree } from './tree.js';

/** The clients the form offers, when the master enables them (netapi_enable_clients). */
const CLIENTS = ['local', 'local_async', 'runner', 'wheel'];
const TARGETED = new Set(['local', 'local_async']);

export function runChunk(client: string, tgt: string, tgtType: string, fun: string, argLine: string): JsonObject {
  const chunk: JsonObject = { client, fun };
  if (TARGETED.has(client)) Object.assign(chunk, { tgt, tgt_type: tgtType });
  const words = splitWords(argLine);
  if (client !== 'wheel') {
    if (words.length > 0) chunk.arg = words;
    return chunk;
  }
  // Wheel functions take their arguments as keys of the chunk itself (`match=minion-1`).
  const positional: string[] = [];
  for (const word of words) {
    const named = keyword(word);
    if (named) chunk[named[0]] = named[1];
    else positional.push(word);
  }
  if (positional.length > 0) chunk.arg = positional;
  return chunk;
}

export class RunView {
  private readonly form = byId('run-form', HTMLFormElement);
  private readonly client = byId('run-client', HTMLSelectElement);
  private readonly tgt = byId('run-tgt', HTMLInputElement);
  private readonly tgtType = byId('run-tgt-type', HTMLSelectElement);
  private readonly fun = byId('run-fun', HTMLInputElement);
  private readonly arg = byId('run-arg', HTMLInputElement);
  private readonly result = byId('run-result', HTMLDivElement);

  constructor(
    private readonly api: Api,
    enabled: string[],
    private readonly report: (error: unknown) => void,
    private readonly openJob: (jid: string) => void,
  ) {
    const offered = CLIENTS.filter((client) => enabled.includes(client));
    this.client.replaceChildren(...offered.map((client) => el('option', {}, client)));
    if (offered.length === 0) this.result.replaceChildren(el('p', { class: 'muted' }, 'netapi_enable_clients enables none of: ' + CLIENTS.join(', ')));
    this.client.addEventListener('change', () => this.showTargeting());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.run();
    });
    this.showTargeting();
  }

  private showTargeting(): void {
    const targeted = TARGETED.has(this.client.value);
    for (const label of this.form.querySelectorAll<HTMLElement>('.targeting')) show(label, targeted);
  }

  private jobButton(jid: string): HTMLButtonElement {
    const button = el('button', { type: 'button', class: 'link' }, `Open job ${jid}`);
    button.addEventListener('click', () => this.openJob(jid));
    return button;
  }

  private async run(): Promise<void> {
    const chunk = runChunk(this.client.value, this.tgt.value.trim(), this.tgtType.value, this.fun.value.trim(), this.arg.value);
    this.result.replaceChildren(el('p', { class: 'muted' }, `Running ${this.fun.value.trim()}…`));
    this.result.setAttribute('aria-busy', 'true');
    try {
      const answer = first(field(await this.api.post('/', [chunk]), 'return')) ?? null;
      const jid = field(answer, 'jid');
      this.result.replaceChildren(el('h3', {}, `${this.client.value} ${this.fun.value.trim()}`), renderTree(answer));
      if (typeof jid === 'string') this.result.append(this.jobButton(jid));
    } catch (error) {
      this.result.replaceChildren();
      this.report(error);
    } finally {
      this.result.removeAttribute('aria-busy');
    }
  }
}
