/** `salt-api-koa doctor -c DIR` against the real master: every check ok, and the release told right. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { saltRelease } from '../../../src/salt/releases.js';
import type { ReleaseFixture } from '../fixture.js';
import { projectRoot } from '../../support/paths.js';

const run = promisify(execFile);

/** Whether `version` (3006.27) lies in one of the ranges a release line names (`3006.26–3006.27`, `3008.2 or later`). */
function inRanges(line: string, version: string): boolean {
  const [major, point] = version.split('.').map(Number) as [number, number];
  for (const m of line.matchAll(/(\d{4})\.(\d+)(?:–(\d{4})\.(\d+)| or later)?/g)) {
    const [lowMajor, lowPoint] = [Number(m[1]), Number(m[2])];
    if (m[0].endsWith('or later')) {
      if (major > lowMajor || (major === lowMajor && point >= lowPoint)) return true;
      continue;
    }
    const [highMajor, highPoint] = m[3] === undefined ? [lowMajor, lowPoint] : [Number(m[3]), Number(m[4])];
    if (major === lowMajor && major === highMajor && point >= lowPoint && point <= highPoint) return true;
  }
  return false;
}

const FRAMES = { plain: 'plain frames, no length prefix', prefixed: 'length-prefixed frames' } as const;

export function doctorTests(fx: ReleaseFixture): void {
  describe('salt-api-koa doctor', function () {
    this.timeout(30_000);

    it('finds no problem, the framings of this release and a release range that holds it', async () => {
      const { stdout } = await run(process.execPath, [path.join(projectRoot, 'dist/src/cli.js'), 'doctor', '-c', fx.api.salt.configDir]);
      const release = saltRelease(fx.api.salt.version);
      expect(stdout).to.match(/\n\nNo problems found\.\n$/);
      expect(stdout).to.include(release.minimumAuthVersion > 0 ? 'version 2 refused ("bad load")' : 'version 2 accepted too');
      expect(stdout).to.include(`master_event_pub.ipc: ${FRAMES[release.publishFraming]}`);
      expect(stdout).to.include(`master_event_pull.ipc: reads ${FRAMES[release.pullFraming]}`);
      const releaseLine = stdout.split('\n').find((text) => /^ok\s+release\s/.test(text)) ?? '';
      expect(inRanges(releaseLine.split(' (')[0]!, fx.api.salt.version), releaseLine).to.equal(true);
      expect(stdout).to.not.include(fx.token);
    });
  });
}
