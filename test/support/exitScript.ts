/**
 * A module run in a process of its own and left to exit however it does: for what must hold when
 * a process ends without a graceful shutdown (process.exit with log lines still queued).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Writes `source` (an ES module; `imports` maps names to modules of this build, as
 * `src/log.js`, imported first) to `dir` and runs it; resolves to its exit code.
 */
export function runModule(dir: string, imports: Record<string, string>, source: string): Promise<number | null> {
  const script = path.join(dir, 'exit.mjs');
  const head = Object.entries(imports)
    .map(([name, module]) => `import { ${name} } from ${JSON.stringify(new URL(`../../${module}`, import.meta.url).href)};\n`)
    .join('');
  writeFileSync(script, head + source);
  return new Promise((resolve) => spawn(process.execPath, [script], { stdio: 'ignore' }).once('exit', resolve));
}
