/** The banner that tells the user what failed: the request, the API's status and its message. */
import { ApiFailure } from './api.js';
import { byId, show } from './dom.js';

export class Notice {
  private readonly box = byId('notice', HTMLDivElement);
  private readonly text = byId('notice-text', HTMLSpanElement);

  constructor() {
    byId('notice-close', HTMLButtonElement).addEventListener('click', () => this.clear());
  }

  error(error: unknown): void {
    this.text.textContent = error instanceof Error ? error.message : String(error);
    this.box.dataset.status = error instanceof ApiFailure ? String(error.status) : '';
    show(this.box, true);
  }

  clear(): void {
    show(this.box, false);
    this.text.textContent = '';
  }
}
