/**
 * The console's entry point: learn about the server (config.json), then show the login form or,
 * with a session, the workspace (minions, run, jobs) beside the live events.
 */
import { Api, ApiFailure } from './api.js';
import { loadConfig, sessionOf, type ConsoleConfig, type Session } from './config.js';
import { byId, el, show } from './dom.js';
import { EventView } from './events.js';
import { JobsView } from './jobs.js';
import { field, first } from './json.js';
import { loadMinions } from './minions.js';
import { Notice } from './notice.js';
import { RunView } from './run.js';

const TABS = ['minions', 'run', 'jobs'] as const;
/** What a session showed: none of it stays on the page for the next one. */
const SESSION_CONTENT = ['minions-rows', 'run-result', 'jobs-rows', 'job-detail', 'events-list'];
type Tab = (typeof TABS)[number];

class Console {
  private readonly api: Api;
  private readonly notice = new Notice();
  private readonly events: EventView;
  private readonly jobs: JobsView;
  private readonly loginView = byId('login-view', HTMLElement);
  private readonly consoleView = byId('console-view', HTMLElement);
  private readonly whoami = byId('whoami', HTMLSpanElement);
  private readonly logoutButton = byId('logout', HTMLButtonElement);
  private readonly minionRows = byId('minions-rows', HTMLTableSectionElement);

  constructor(private readonly config: ConsoleConfig) {
    this.api = new Api(config.api);
    const report = (error: unknown) => void this.fail(error);
    this.events = new EventView(`${config.api}/events`, () => void this.checkSession());
    this.jobs = new JobsView(this.api, report);
    new RunView(this.api, config.clients, report, (jid) => {
      this.selectTab('jobs');
      void this.jobs.open(jid);
    });
    this.setUpLogin();
    this.logoutButton.addEventListener('click', () => void this.logout());
    byId('minions-refresh', HTMLButtonElement).addEventListener('click', () => void this.loadMinions());
    byId('jobs-refresh', HTMLButtonElement).addEventListener('click', () => void this.jobs.list());
    for (const tab of TABS) this.tabButton(tab).addEventListener('click', () => this.selectTab(tab));
  }

  start(): void {
    if (this.config.session) this.enter(this.config.session);
    else this.showLogin();
  }

  private setUpLogin(): void {
    const eauth = byId('login-eauth', HTMLSelectElement);
    eauth.replaceChildren(...this.config.eauth.map((backend) => el('option', {}, backend)));
    if (this.config.eauth.length === 0) this.notice.error(new Error('The master configures no eauth backend (external_auth): nobody can log in.'));
    byId('login-form', HTMLFormElement).addEventListener('submit', (event) => {
      event.preventDefault();
      void this.login(byId('login-username', HTMLInputElement).value, byId('login-password', HTMLInputElement).value, eauth.value);
    });
  }

  private async login(username: string, password: string, eauth: string): Promise<void> {
    this.notice.clear();
    try {
      const session = sessionOf(first(field(await this.api.post('/login', { username, password, eauth }), 'return')));
      byId('login-password', HTMLInputElement).value = '';
      if (session) this.enter(session);
    } catch (error) {
      this.notice.error(error);
    }
  }

  private async logout(): Promise<void> {
    // The stream would only be refused once the token is gone: end it first.
    this.events.stop();
    try {
      await this.api.post('/logout');
      this.notice.clear();
    } catch (error) {
      this.notice.error(error);
    }
    this.showLogin();
  }

  private enter(session: Session): void {
    this.whoami.textContent = `${session.user} · ${session.eauth}`;
    show(this.loginView, false);
    show(this.consoleView, true);
    show(this.logoutButton, true);
    this.events.start();
    this.selectTab('minions');
  }

  private showLogin(): void {
    this.events.stop();
    for (const id of SESSION_CONTENT) byId(id, HTMLElement).replaceChildren();
    this.whoami.textContent = '';
    show(this.consoleView, false);
    show(this.logoutButton, false);
    show(this.loginView, true);
    byId('login-username', HTMLInputElement).focus();
  }

  private tabButton(tab: Tab): HTMLButtonElement {
    const button = document.querySelector(`[data-tab="${tab}"]`);
    if (!(button instanceof HTMLButtonElement)) throw new Error(`the page has no tab ${tab}`);
    return button;
  }

  private selectTab(selected: Tab): void {
    for (const tab of TABS) {
      this.tabButton(tab).setAttribute('aria-selected', String(tab === selected));
      show(byId(`tab-${tab}`, HTMLElement), tab === selected);
    }
    if (selected === 'minions') void this.loadMinions();
    if (selected === 'jobs') void this.jobs.list();
  }

  private async loadMinions(): Promise<void> {
    try {
      await loadMinions(this.api, this.minionRows);
    } catch (error) {
      await this.fail(error);
    }
  }

  /** Show what failed; a 401 may mean the session is over, which config.json tells without another 401. */
  private async fail(error: unknown): Promise<void> {
    this.notice.error(error);
    if (error instanceof ApiFailure && error.status === 401) await this.checkSession();
  }

  private async checkSession(): Promise<void> {
    try {
      if ((await loadConfig()).session === null) this.showLogin();
    } catch (error) {
      this.notice.error(error);
    }
  }
}

async function main(): Promise<void> {
  const loading = byId('loading', HTMLParagraphElement);
  try {
    new Console(await loadConfig()).start();
  } catch (error) {
    new Notice().error(error);
  } finally {
    show(loading, false);
  }
}

void main();
