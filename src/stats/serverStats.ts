/**
 * This process's HTTP figures for `GET /stats`: requests by status class, requests in flight and
 * open event streams. The figures of the Salt side (bus, master round trips) live with the Salt
 * adapter; the stats route puts both together.
 */

export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx';

/** `sse` for `GET /events`, `ws` for `GET /ws`. */
export type StreamKind = 'sse' | 'ws';

export interface HttpFigures {
  uptime_seconds: number;
  requests: { total: number } & Record<StatusClass, number>;
  in_flight: number;
  event_streams: number;
}

function statusClass(status: number): StatusClass | undefined {
  if (status >= 200 && status < 300) return '2xx';
  if (status >= 300 && status < 400) return '3xx';
  if (status >= 400 && status < 500) return '4xx';
  if (status >= 500 && status < 600) return '5xx';
  return undefined;
}

export class ServerStats {
  private readonly startedAt = process.hrtime.bigint();
  private total = 0;
  private readonly byClass: Record<StatusClass, number> = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  private inFlight = 0;
  private readonly streams: Record<StreamKind, number> = { sse: 0, ws: 0 };

  requestStarted(): void {
    this.inFlight++;
  }

  /** A response went out with this status (a streamed body may still be flowing). */
  requestFinished(status: number): void {
    this.inFlight--;
    this.total++;
    const cls = statusClass(status);
    if (cls) this.byClass[cls]++;
  }

  /**
   * Count an event stream (SSE or WebSocket) as open until the returned function is called;
   * calling it more than once is harmless, so every close path may call it.
   */
  trackEventStream(kind: StreamKind): () => void {
    this.streams[kind]++;
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.streams[kind]--;
    };
  }

  eventStreams(kind: StreamKind): number {
    return this.streams[kind];
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  snapshot(): HttpFigures {
    const uptimeNs = process.hrtime.bigint() - this.startedAt;
    return {
      uptime_seconds: Math.round(Number(uptimeNs / 1_000_000n)) / 1000,
      requests: { total: this.total, ...this.byClass },
      in_flight: this.inFlight,
      event_streams: this.streams.sse + this.streams.ws,
    };
  }
}
