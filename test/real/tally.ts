/**
 * Counts of one mocha run per release: each top-level suite of salt-api.real.ts is one release.
 * A failed hook counts as a failure (a master that did not start, or a Salt process that outlived
 * the stop), and the tests it kept from running are reported as not run.
 */
import Mocha from 'mocha';

const { EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_TEST_FAIL, EVENT_TEST_PASS } = Mocha.Runner.constants;

export interface ReleaseCounts {
  title: string;
  passed: number;
  /** Failed tests and failed hooks. */
  failed: number;
  notRun: number;
  durationMs: number;
}

interface Entry {
  title: string;
  tests: number;
  passed: number;
  failedTests: number;
  failedHooks: number;
  startedAt: number;
  durationMs: number;
}

/** The top-level suite a test or hook belongs to: its release. */
function releaseSuite(runnable: Mocha.Runnable | Mocha.Suite): Mocha.Suite | undefined {
  let suite = runnable instanceof Mocha.Suite ? runnable : runnable.parent;
  while (suite?.parent && !suite.parent.root) suite = suite.parent;
  return suite?.parent ? suite : undefined;
}

function counts(entry: Entry): ReleaseCounts {
  const failed = entry.failedTests + entry.failedHooks;
  return { title: entry.title, passed: entry.passed, failed, notRun: entry.tests - entry.passed - entry.failedTests, durationMs: entry.durationMs };
}

export class ReleaseTally {
  private readonly entries = new Map<Mocha.Suite, Entry>();
  /** Failures outside every release (a root hook, a file that failed to load). */
  private strayFailures = 0;

  /** Count `runner`'s events; `print` gets a summary line as each release ends. */
  follow(runner: Mocha.Runner, print: (line: string) => void): void {
    runner.on(EVENT_SUITE_BEGIN, (suite: Mocha.Suite) => {
      if (suite.parent?.root) this.entries.set(suite, { title: suite.title, tests: suite.total(), passed: 0, failedTests: 0, failedHooks: 0, startedAt: Date.now(), durationMs: 0 });
    });
    runner.on(EVENT_SUITE_END, (suite: Mocha.Suite) => {
      const entry = this.entries.get(suite);
      if (!entry) return;
      entry.durationMs = Date.now() - entry.startedAt;
      print(`\n== ${summaryLine(counts(entry))}\n`);
    });
    runner.on(EVENT_TEST_PASS, (test: Mocha.Test) => {
      const entry = this.entryOf(test);
      if (entry) entry.passed++;
    });
    runner.on(EVENT_TEST_FAIL, (runnable: Mocha.Runnable) => {
      const entry = this.entryOf(runnable);
      if (!entry) this.strayFailures++;
      else if (runnable instanceof Mocha.Hook) entry.failedHooks++;
      else entry.failedTests++;
    });
  }

  private entryOf(runnable: Mocha.Runnable): Entry | undefined {
    const suite = releaseSuite(runnable);
    return suite && this.entries.get(suite);
  }

  releases(): ReleaseCounts[] {
    return [...this.entries.values()].map(counts);
  }

  totals(): { passed: number; failed: number } {
    const releases = this.releases();
    const sum = (pick: (release: ReleaseCounts) => number): number => releases.reduce((total, release) => total + pick(release), 0);
    return { passed: sum((release) => release.passed), failed: sum((release) => release.failed) + this.strayFailures };
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function summaryLine(release: ReleaseCounts): string {
  const notRun = release.notRun > 0 ? `, ${release.notRun} not run` : '';
  return `${release.title}: ${release.passed} passed, ${release.failed} failed${notRun} in ${seconds(release.durationMs)}`;
}

/** One line per release, aligned, under a header. */
export function formatTable(releases: ReleaseCounts[]): string {
  const rows = [['release', 'passed', 'failed', 'not run', 'duration'], ...releases.map((r) => [r.title, String(r.passed), String(r.failed), String(r.notRun), seconds(r.durationMs)])];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')).join('\n');
}
