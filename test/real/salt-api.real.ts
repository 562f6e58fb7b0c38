/**
 * salt-api-koa end to end against real Salt masters: for each Salt source tree named in
 * $SALT_REAL_TREES (set by run.ts), start a master with two minions, the API in this process in
 * front of it, and check every endpoint through HTTP.
 *
 * Named *.real.ts so that plain `npm test` (spec dist/test/**\/*.test.js) never loads it.
 */
import { ReleaseFixture } from './fixture.js';
import { eventTests } from './suites/events.js';
import { loginTests, logoutTests } from './suites/auth.js';
import { netapiTests } from './suites/netapi.js';
import { resourceTests } from './suites/resources.js';
import { doctorTests } from './suites/doctor.js';
import { operationsTests } from './suites/operations.js';
import { releaseTitle, treesFromEnv } from './trees.js';

/** Start-up waits for every minion to answer a ping through Salt's own client; 90 s is the harness's own limit. */
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;

for (const tree of treesFromEnv()) {
  describe(releaseTitle(tree), function () {
    const fx = new ReleaseFixture(tree);

    before(async function () {
      this.timeout(START_TIMEOUT_MS);
      await fx.start();
    });
    after(async function () {
      this.timeout(STOP_TIMEOUT_MS);
      await fx.stop();
    });

    loginTests(fx);
    netapiTests(fx);
    resourceTests(fx);
    eventTests(fx);
    doctorTests(fx);
    operationsTests(fx);
    logoutTests(fx);
  });
}
