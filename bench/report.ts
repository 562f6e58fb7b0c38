/** The printed report: what and where was measured, one row per scenario and concurrency, a verdict. */
import type { Measurement, ScenarioResult, Timing } from './measure.js';

const LABEL_WIDTH = 20;
const CELL = 7;
const SIDE_TITLES = ['req/s', 'p50', 'p99', 'CPU µs', 'RSS MiB'];
const SIDE_WIDTH = SIDE_TITLES.length * (CELL + 1);

export function header(machine: string, timing: Timing, minions: number): string {
  const warmup = timing.warmup > 0 ? `each server process first gets ${timing.warmup} s of discarded load at c=32` : 'no warm-up';
  return [
    `machine:   ${machine}`,
    `runs:      ${timing.rounds} × ${timing.duration} s measured per server and concurrency, the API's and the baseline's runs`,
    `           alternating, both servers up; ${warmup}; load by autocannon in the bench process`,
    `master:    sandbox master in its own process, ${minions} minions`,
    'baselines: GET / → a bare Koa app (own process) answering the same bytes and headers;',
    '           the others → node:http + our RequestChannel/MasterClient/EventBus (own process) sending the same master request',
    '           "login, Koa floor": in place of the API, one bare Koa middleware doing only login\'s own work (no target)',
    'columns:   latencies in ms; CPU µs = server process CPU time per request (less sensitive to other load on the',
    '           machine than req/s); RSS = VmRSS of the server process after the run; ratio = API req/s ÷ baseline req/s',
  ].join('\n');
}

export const TABLE_HEAD = [
  `${''.padEnd(LABEL_WIDTH + 5)} │${' API'.padEnd(SIDE_WIDTH)} │${' baseline'.padEnd(SIDE_WIDTH)} │`,
  `${'scenario'.padEnd(LABEL_WIDTH)} conc │${sideHead()} │${sideHead()} │ ratio  target`,
].join('\n');

function sideHead(): string {
  return SIDE_TITLES.map((title) => title.padStart(CELL)).join(' ').padStart(SIDE_WIDTH);
}

function latency(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

function side(m: Measurement): string {
  const { requestsPerSecond, p50Ms, p99Ms } = m.figures;
  return [requestsPerSecond.toFixed(0), latency(p50Ms), latency(p99Ms), m.cpuUsPerRequest.toFixed(0), m.rssMiB.toFixed(1)].map((cell) => cell.padStart(CELL)).join(' ').padStart(SIDE_WIDTH);
}

interface Row {
  label: string;
  api: Measurement;
  baseline: Measurement;
  ratio: number;
  target?: number;
}

function rowsOf(result: ScenarioResult): Row[] {
  return result.api.flatMap((api, i) => {
    const baseline = result.baseline[i];
    if (baseline === undefined) return [];
    const ratio = api.figures.requestsPerSecond / baseline.figures.requestsPerSecond;
    return [{ label: result.scenario.label, api, baseline, ratio, target: result.scenario.target }];
  });
}

function failures(row: Row): string {
  const { api, baseline } = row;
  if (api.figures.failures === 0 && baseline.figures.failures === 0) return '';
  return `  FAILED REQUESTS: API ${api.figures.failures}, baseline ${baseline.figures.failures}`;
}

export function tableRows(result: ScenarioResult): string {
  return rowsOf(result)
    .map((row) => {
      const target = row.target === undefined ? '(none)' : `≥${row.target.toFixed(2)} ${row.ratio >= row.target ? 'ok' : 'BELOW'}`;
      const ratio = `${row.ratio.toFixed(2).padStart(5)}  ${target}`;
      return `${row.label.padEnd(LABEL_WIDTH)} ${String(row.api.connections).padStart(4)} │${side(row.api)} │${side(row.baseline)} │ ${ratio}${failures(row)}`;
    })
    .join('\n');
}

/** The verdict lines, and whether every request of every run succeeded. */
export function verdict(results: ScenarioResult[], wallSeconds: number): { text: string; clean: boolean } {
  const rows = results.flatMap(rowsOf);
  const below = rows.filter((row) => row.target !== undefined && row.ratio < row.target);
  const failed = rows.filter((row) => failures(row) !== '');
  const lines = [
    below.length === 0
      ? 'targets:   all met'
      : `targets:   below at ${below.map((row) => `${row.label} c=${row.api.connections} (${row.ratio.toFixed(2)} < ${row.target})`).join(', ')}`,
  ];
  if (failed.length > 0) lines.push(`failures:  requests failed in ${failed.map((row) => `${row.label} c=${row.api.connections}`).join(', ')}: those figures are void`);
  lines.push(`wall time: ${wallSeconds.toFixed(0)} s`);
  return { text: lines.join('\n'), clean: failed.length === 0 };
}
