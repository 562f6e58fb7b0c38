/**
 * One line of the doctor's report and how the report is printed. Every line starts with its
 * verdict so an operator (or a script: `grep ^FAIL`) can scan it; every warn and FAIL carries a
 * problem named after the option or file at fault and the fix, listed again at the end.
 */

/** `skip`: the check could not run because an earlier one failed (that one names the fix). */
export type Status = 'ok' | 'warn' | 'FAIL' | 'skip';

export interface Problem {
  /** The option, file or component at fault, as the operator would look it up. */
  name: string;
  fix: string;
}

export interface Finding {
  status: Status;
  /** Short name of the check: the line's second column. */
  check: string;
  detail: string;
  problem?: Problem;
}

export function ok(check: string, detail: string): Finding {
  return { status: 'ok', check, detail };
}

export function skip(check: string, detail: string): Finding {
  return { status: 'skip', check, detail };
}

export function warn(check: string, detail: string, problem: Problem): Finding {
  return { status: 'warn', check, detail, problem };
}

export function fail(check: string, detail: string, problem: Problem): Finding {
  return { status: 'FAIL', check, detail, problem };
}

const CHECK_WIDTH = 9;

export function formatFinding(finding: Finding): string {
  return `${finding.status.padEnd(4)}  ${finding.check.padEnd(CHECK_WIDTH)}  ${finding.detail}`;
}

/** The closing lines: one per problem, naming it and its fix, or a line saying there is none. */
export function formatSummary(findings: readonly Finding[]): string[] {
  const problems = findings.flatMap((finding) => (finding.problem ? [{ status: finding.status, ...finding.problem }] : []));
  if (problems.length === 0) return ['', 'No problems found.'];
  const failures = problems.filter((problem) => problem.status === 'FAIL').length;
  const header = `${problems.length} problem${problems.length === 1 ? '' : 's'} (${failures} FAIL, ${problems.length - failures} warn); to fix:`;
  return ['', header, ...problems.map((problem) => `  ${problem.status} ${problem.name}: ${problem.fix}`)];
}

/** 1 when any check failed: the API would not work (or not fully) against this master as configured. */
export function exitCode(findings: readonly Finding[]): 0 | 1 {
  return findings.some((finding) => finding.status === 'FAIL') ? 1 : 0;
}
