/**
 * Every metric of `GET /metrics`, in one registry per app (never prom-client's global one, so a
 * process may run several apps). The Salt side and the event streams report through small
 * observer interfaces of their own, which this class implements; figures that already exist as
 * plain numbers (pool usage, bus state, open streams) are read at scrape time instead. Every label
 * value is bounded: a route template, a known method, command, eauth backend or client, else
 * `other`.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { PoolUsage, RoundTripObserver, RoundTripOutcome } from '../salt/requestChannel.js';
import type { LoginOutcome, TokenCache, TokenObserver } from '../salt/tokens.js';
import type { JobObserver, JobOutcome } from '../salt/netapi.js';
import { CLIENT_NAMES, type ClientName } from '../salt/types.js';
import type { HubObserver } from '../events/hub.js';
import type { StreamCutOff } from '../events/streamEvent.js';
import type { ServerStats, StreamKind } from '../stats/serverStats.js';
import type { RequestObserver } from '../../middleware/requestStats.js';
import { runtimeRegistry } from './runtime.js';
import { LabelGrid } from './labelGrid.js';
import { HistogramTally, Tally, type HistogramSeries, type TallySeries } from './tally.js';

/** Prefix of this API's own metric names (Node's runtime metrics keep their usual names). */
const METRIC_PREFIX = 'saltapi_';

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const MASTER_COMMANDS: ReadonlySet<string> = new Set(['publish', 'get_token', 'mk_token', 'runner', 'wheel', 'ping']);
const OTHER = 'other';

/** From a millisecond to a minute: what an API answer takes, a `local` job's wait included. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** A master answers in well under a millisecond on loopback; the request timeout is seconds. */
const MASTER_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A registry's metrics as prom-client hands them between processes. */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** What the scrape reads from the running server (attached once the app exists). */
export interface MetricSources {
  /** The master connection pool. */
  pool(): PoolUsage;
  bus: { readonly connected: boolean; readonly reconnects: number };
  server: ServerStats;
}

export interface MetricsOptions {
  /** eauth backends configured in `external_auth`: the only values of the `eauth` label besides `other`. */
  eauthBackends: Iterable<string>;
}

const ROUND_TRIP_OUTCOMES: readonly RoundTripOutcome[] = ['ok', 'error', 'timeout'];
const LOGIN_OUTCOMES: readonly LoginOutcome[] = ['success', 'failure', 'throttled', 'error'];
const JOB_OUTCOMES: readonly JobOutcome[] = ['ok', 'error'];
const TOKEN_CACHES: readonly TokenCache[] = ['session', 'credentials'];

/** The series of one route and method: its latencies, and its count per status. */
interface HttpSeries {
  duration: HistogramSeries<'route' | 'method'>;
  byStatus: Map<number, TallySeries<'route' | 'method' | 'status'>>;
}

export class Metrics implements RequestObserver, RoundTripObserver, TokenObserver, JobObserver, HubObserver {
  private readonly registry = new Registry();
  private readonly exposed: Registry;
  private readonly eauthBackends: ReadonlySet<string>;
  private sources?: MetricSources;
  /** The series by route and method: a request builds no key or label object of its own. */
  private readonly httpSeries = new Map<string, Map<string, HttpSeries>>();

  private readonly httpRequests: Tally<'route' | 'method' | 'status'>;
  private readonly httpDuration: HistogramTally<'route' | 'method'>;
  private readonly masterRequests: LabelGrid<TallySeries<'cmd' | 'outcome'>>;
  private readonly masterDuration: HistogramTally<'cmd'>;
  private readonly masterDurations: Map<string, HistogramSeries<'cmd'>>;
  private readonly logins: LabelGrid<TallySeries<'eauth' | 'outcome'>>;
  private readonly jobs: LabelGrid<TallySeries<'client' | 'outcome'>>;
  private readonly tokenCache: LabelGrid<TallySeries<'cache' | 'result'>>;
  private readonly streamEvents: Counter;
  private readonly streamCutOffs: Counter<'kind' | 'reason'>;

  constructor(options: MetricsOptions) {
    this.eauthBackends = new Set(options.eauthBackends);
    const registers = [this.registry];
    const sources = () => this.sources;

    this.httpRequests = Tally.counter({
      name: `${METRIC_PREFIX}http_requests_total`,
      help: 'HTTP requests answered, by route template, method and status code.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.httpDuration = new HistogramTally({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'Time from a request\'s arrival until its answer starts (an event stream\'s body flows on after it).',
      buckets: HTTP_BUCKETS,
      registers,
    });
    new Gauge({
      name: `${METRIC_PREFIX}http_requests_in_flight`,
      help: 'HTTP requests being handled.',
      registers,
      collect() {
        const server = sources()?.server;
        if (server) this.set(server.requestsInFlight);
      },
    });

    const commands = [...MASTER_COMMANDS, OTHER];
    const masterRequests = Tally.counter({
      name: `${METRIC_PREFIX}master_requests_total`,
      help: 'Requests to the master\'s request server, by command and outcome (ok, error, timeout).',
      labelNames: ['cmd', 'outcome'],
      registers,
    });
    this.masterRequests = new LabelGrid(commands, ROUND_TRIP_OUTCOMES, (cmd, outcome) => masterRequests.series({ cmd, outcome }));
    this.masterDuration = new HistogramTally({
      name: `${METRIC_PREFIX}master_request_duration_seconds`,
      help: 'Round trip of a master request that got a reply, from sending to the reply (waits for a pooled connection excluded).',
      buckets: MASTER_BUCKETS,
      registers,
    });
    this.masterDurations = new Map(commands.map((cmd) => [cmd, this.masterDuration.series({ cmd })]));
    new Gauge({
      name: `${METRIC_PREFIX}master_pool_size`,
      help: 'Connections to the master\'s request server allowed at once (master_pool_size).',
      registers,
      collect() {
        const pool = sources()?.pool();
        if (pool) this.set(pool.size);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}master_pool_in_use`,
      help: 'Connections to the master\'s request server carrying a request.',
      registers,
      collect() {
        const pool = sources()?.pool();
        if (pool) this.set(pool.inUse);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}master_pool_waiting`,
      help: 'Master requests waiting for a free connection.',
      registers,
      collect() {
        const pool = sources()?.pool();
        if (pool) this.set(pool.waiting);
      },
    });

    new Gauge({
      name: `${METRIC_PREFIX}event_bus_connected`,
      help: 'Whether the master event bus subscription is connected (1) or not (0).',
      registers,
      collect() {
        const bus = sources()?.bus;
        if (bus) this.set(bus.connected ? 1 : 0);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}event_bus_reconnects_total`,
      help: 'Times the master event bus connection dropped and was reopened.',
      registers,
      collect() {
        const bus = sources()?.bus;
        if (!bus) return;
        // The bus keeps the count (it is on /stats too); the counter mirrors it.
        this.reset();
        this.inc(bus.reconnects);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}event_stream_clients`,
      help: 'Event-stream clients connected, by kind (sse for /events, ws for /ws).',
      labelNames: ['kind'],
      registers,
      collect() {
        const server = sources()?.server;
        if (!server) return;
        this.set({ kind: 'sse' }, server.eventStreams('sse'));
        this.set({ kind: 'ws' }, server.eventStreams('ws'));
      },
    });
    this.streamEvents = new Counter({
      name: `${METRIC_PREFIX}event_stream_events_total`,
      help: 'Bus events handed to event-stream clients (one per client that gets it).',
      registers,
    });
    this.streamCutOffs = new Counter({
      name: `${METRIC_PREFIX}event_stream_cutoffs_total`,
      help: 'Event streams the server ended, by kind and reason (overflow: too slow; unresponsive: no pong; expired, revoked, shutdown).',
      labelNames: ['kind', 'reason'],
      registers,
    });

    const tokenCache = Tally.counter({
      name: `${METRIC_PREFIX}token_cache_lookups_total`,
      help: 'Token cache lookups by cache (session: tokens presented; credentials: eauth credentials in /run chunks) and result (hit, miss).',
      labelNames: ['cache', 'result'],
      registers,
    });
    this.tokenCache = new LabelGrid(TOKEN_CACHES, ['hit', 'miss'], (cache, result) => tokenCache.series({ cache, result }));
    const logins = Tally.counter({
      name: `${METRIC_PREFIX}logins_total`,
      help: 'Logins asked of the master (/login, /token, credentials in /run), by eauth backend and outcome (success, failure, error).',
      labelNames: ['eauth', 'outcome'],
      registers,
    });
    this.logins = new LabelGrid([...this.eauthBackends, OTHER], LOGIN_OUTCOMES, (eauth, outcome) => logins.series({ eauth, outcome }));
    const jobs = Tally.counter({
      name: `${METRIC_PREFIX}netapi_jobs_total`,
      help: 'Lowstate chunks run with confirmed credentials, by netapi client and outcome (ok; error: the client refused or failed the chunk).',
      labelNames: ['client', 'outcome'],
      registers,
    });
    this.jobs = new LabelGrid(CLIENT_NAMES, JOB_OUTCOMES, (client, outcome) => jobs.series({ client, outcome }));
    new Gauge({
      name: `${METRIC_PREFIX}processes`,
      help: 'API processes in this scrape: 1, with a worker label per worker with the workers option.',
      registers,
    }).set(1);

    this.exposed = Registry.merge([this.registry, runtimeRegistry()]);
  }

  /** Where the scrape reads the figures kept elsewhere; until then those metrics have no value. */
  readFrom(sources: MetricSources): void {
    this.sources = sources;
  }

  get contentType(): string {
    return this.exposed.contentType;
  }

  /** This process's metrics in the text exposition format. */
  exposition(): Promise<string> {
    return this.exposed.metrics();
  }

  /** This app's and the runtime's metrics as data, for the cluster primary to put together. */
  json(): Promise<MetricsJson> {
    return this.exposed.getMetricsAsJSON();
  }

  /** In the cluster worker in `slot`: every series gets `worker="<slot>"`. */
  labelWorker(slot: number): void {
    this.exposed.setDefaultLabels({ worker: String(slot) });
  }

  request(route: string, method: string, status: number, seconds: number): void {
    const knownMethod = METHODS.has(method) ? method : OTHER;
    let byMethod = this.httpSeries.get(route);
    if (!byMethod) this.httpSeries.set(route, (byMethod = new Map()));
    let series = byMethod.get(knownMethod);
    if (!series) byMethod.set(knownMethod, (series = { duration: this.httpDuration.series({ route, method: knownMethod }), byStatus: new Map() }));
    let count = series.byStatus.get(status);
    if (!count) series.byStatus.set(status, (count = this.httpRequests.series({ route, method: knownMethod, status: String(status) })));
    count.count++;
    this.httpDuration.observe(series.duration, seconds);
  }

  roundTrip(cmd: string, outcome: RoundTripOutcome, seconds: number | undefined): void {
    const command = MASTER_COMMANDS.has(cmd) ? cmd : OTHER;
    this.masterRequests.at(command, outcome).count++;
    if (seconds !== undefined) this.masterDuration.observe(this.masterDurations.get(command)!, seconds);
  }

  cacheLookup(cache: TokenCache, hit: boolean): void {
    this.tokenCache.at(cache, hit ? 'hit' : 'miss').count++;
  }

  login(eauth: unknown, outcome: LoginOutcome): void {
    this.logins.at(typeof eauth === 'string' && this.eauthBackends.has(eauth) ? eauth : OTHER, outcome).count++;
  }

  job(client: ClientName, outcome: JobOutcome): void {
    this.jobs.at(client, outcome).count++;
  }

  delivered(events: number): void {
    if (events > 0) this.streamEvents.inc(events);
  }

  streamCutOff(kind: StreamKind, reason: StreamCutOff): void {
    this.streamCutOffs.inc({ kind, reason });
  }
}
