/**
 * The part of autocannon's programmatic API the bench uses. autocannon ships no types and the
 * project takes no dependency for them; this covers exactly what bench/load.ts touches.
 */
declare module 'autocannon' {
  namespace autocannon {
    interface Options {
      url: string;
      method?: 'GET' | 'POST';
      headers?: Record<string, string>;
      body?: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
    }

    interface Result {
      /** Seconds the measured run lasted. */
      duration: number;
      errors: number;
      timeouts: number;
      /** Responses whose status was not 2xx. */
      non2xx: number;
      requests: { total: number };
    }

    /** The running job: a promise of its result that also reports every response. */
    interface Instance extends PromiseLike<Result> {
      /** `responseTime` is in milliseconds, with sub-millisecond precision. */
      on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTime: number) => void): this;
    }
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
