/**
 * Check 4: which Salt release the master is, told from the evidence the other checks gathered.
 * Several releases often behave alike on the wire, so the answer is a range, or several.
 */
import type { Evidence } from './evidence.js';
import { type Finding, ok, skip, warn } from './finding.js';
import { LAST_STUDIED, asStudied, candidates, describeEvidence, describeReleases, studiedCount } from './releaseRange.js';
import { type InstalledSalt, installedSalt } from './saltVersion.js';

const STUDIED = Object.entries(LAST_STUDIED)
  .map(([major, last]) => `${major}.0–${major}.${last}`)
  .join(', ');

function installedLine(installed: InstalledSalt | undefined): string {
  return installed ? `; \`${installed.command} --version\` here: ${installed.version}` : '';
}

export async function checkRelease(evidence: Evidence): Promise<Finding[]> {
  const installed = await installedSalt();
  const clues = describeEvidence(evidence);
  const found = candidates(evidence);
  if (clues.length === 0 || found.length === studiedCount()) {
    return [skip('release', `cannot tell from the wire${installedLine(installed)}`)];
  }
  if (found.length === 0) {
    return [
      warn('release', `the master fits no release studied (${STUDIED}): ${clues.join(', ')}${installedLine(installed)}`, {
        name: 'Salt release',
        fix: 'a release newer than those studied, or a patched master: check `salt-master --version` and whether this salt-api-koa supports it',
      }),
    ];
  }
  const range = `Salt ${describeReleases(found)}`;
  const findings = [ok('release', `${range} (${clues.join(', ')})${installedLine(installed)}`)];
  const local = installed && asStudied(installed.version);
  if (installed && !(local && found.some((release) => release.major === local.major && release.point === local.point))) {
    findings.push(
      warn('release', `\`${installed.command} --version\` here says ${installed.version}, but the running master behaves like ${range}`, {
        name: 'salt-master release',
        fix: 'restart salt-master if Salt was upgraded (the old release is still running), or check that this config points at the master installed here',
      }),
    );
  }
  return findings;
}
