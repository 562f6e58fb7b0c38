/**
 * A small client of the API's `/ws` event stream (rest_cherrypy's WebSocket protocol): after the
 * upgrade, the client says "websocket client ready" and the server then sends every bus event as
 * `data: {"data": …, "tag": …}\n\n`. Also answers every client message with
 * "server received message".
 */
import WebSocket from 'ws';

export const READY_MESSAGE = 'websocket client ready';
export const SERVER_ACK = 'server received message';

export interface WsEvent {
  tag: string;
  data: Record<string, unknown>;
}

export class WsClient {
  readonly messages: string[] = [];
  private readonly wakers = new Set<() => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: WebSocket.RawData) => {
      this.messages.push(data.toString());
      for (const wake of [...this.wakers]) wake();
    });
  }

  /** Open `url` (ws://…); rejects with the status when the upgrade is refused. */
  static open(url: string): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused with ${response.statusCode}`)));
      socket.once('error', reject);
    });
  }

  send(text: string): void {
    this.socket.send(text);
  }

  /** The first message (received so far or later) that `match` accepts. */
  waitFor(what: string, match: (message: string) => boolean, timeoutMs = 15_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.messages.find(match);
        if (found === undefined) return;
        clearTimeout(timer);
        this.wakers.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.wakers.delete(check);
        reject(new Error(`no ${what} on /ws within ${timeoutMs} ms; ${this.messages.length} messages, the last: ${this.messages.slice(-2).join(' | ').slice(0, 400)}`));
      }, timeoutMs);
      this.wakers.add(check);
      check();
    });
  }

  /** The first event message whose tag is `tag`. */
  async waitForEvent(tag: string, timeoutMs?: number): Promise<WsEvent> {
    const message = await this.waitFor(`event ${tag}`, (text) => parseWsEvent(text)?.tag === tag, timeoutMs);
    return parseWsEvent(message)!;
  }

  close(): void {
    this.socket.terminate();
  }
}

/** The event an event message carries, or undefined for any other message. */
export function parseWsEvent(message: string): WsEvent | undefined {
  const match = /^data: (.*)\n\n$/s.exec(message);
  if (!match?.[1]) return undefined;
  const parsed = JSON.parse(match[1]) as Partial<WsEvent>;
  return typeof parsed.tag === 'string' && parsed.data !== undefined ? { tag: parsed.tag, data: parsed.data } : undefined;
}
