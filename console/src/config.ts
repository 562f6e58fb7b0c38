/** What the server tells the page at `<app_path>/config.json` (src/routes/consoleConfig.ts). */
import { Api } from './api.js';
import { field, type Json } from './json.js';

export interface Session {
  user: string;
  eauth: string;
}

export interface ConsoleConfig {
  /** root_prefix without its trailing slash. */
  api: string;
  eauth: string[];
  clients: string[];
  /** Whose session the browser's cookie carries; null when there is none (or it expired). */
  session: Session | null;
}

function strings(value: Json | undefined): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function sessionOf(value: Json | undefined): Session | null {
  const user = field(value, 'user');
  const eauth = field(value, 'eauth');
  return typeof user === 'string' && typeof eauth === 'string' ? { user, eauth } : null;
}

/** config.json sits beside this script, wherever the console is mounted. */
export async function loadConfig(): Promise<ConsoleConfig> {
  const body = await new Api('').get(new URL('./config.json', import.meta.url).pathname);
  const api = field(body, 'api');
  return {
    api: typeof api === 'string' ? api : '',
    eauth: strings(field(body, 'eauth')),
    clients: strings(field(body, 'clients')),
    session: sessionOf(field(body, 'session')),
  };
}
