/**
 * Debian's salt-pepper 0.5.5, unchanged, against salt-api-koa on the sandbox master: the same
 * command lines as test/fixtures/captures/pepper.txt (run against the real salt-api) must print the
 * same answers, and the rest of what pepper does (async polling, /token + /run, the token cache,
 * batches, runner and wheel calls) must work.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startHarness, type Harness } from './support/harness.js';
import { RECORDED_URL, findOnPath, recordedPepperRun, runPepper, type PepperRun } from './support/pepper.js';
import { shapeMismatches } from './support/shape.js';
import { wheelAnswerAsOfRelease } from './support/release.js';

const PEPPER = findOnPath('salt-pepper');
const MISSING = 'salt-pepper is not on PATH (Debian: apt-get install salt-pepper; .ci/run installs it)';
const ALL_RIGHTS = ['.*', '@runner', '@wheel', '@jobs'];

describe(PEPPER ? 'salt-pepper against salt-api-koa' : `salt-pepper against salt-api-koa — PENDING: ${MISSING}`, function () {
  let h: Harness;
  let home: string;

  before(async function () {
    // The suite's title carries the reason, so the pending tests say why they did not run.
    if (PEPPER === undefined) this.skip();
    h = await startHarness({
      sandbox: {
        minions: ['minion-1', 'minion-2'],
        users: { saltdev: { password: 'saltdev' }, saltpam: { password: 'saltpam', eauth: ['pam'] } },
        externalAuth: { auto: { saltdev: ALL_RIGHTS }, pam: { saltpam: ALL_RIGHTS } },
      },
    });
    // pepper reads ~/.pepperrc and keeps its token cache in ~/.peppercache.
    home = await mkdtemp(path.join(tmpdir(), 'pepper-home-'));
  });
  after(async () => {
    await h?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  /** pepper with the credentials in its environment variables. */
  const pepper = (args: string[], env: Record<string, string> = {}): Promise<PepperRun> =>
    runPepper(PEPPER!, args, { HOME: home, SALTAPI_URL: h.url, SALTAPI_USER: 'saltdev', SALTAPI_PASS: 'saltdev', SALTAPI_EAUTH: 'auto', ...env });

  /** A recorded command line (`-u <url> …`), run against us instead. */
  const rerun = (recordedArgs: string[]): Promise<PepperRun> =>
    runPepper(PEPPER!, recordedArgs.map((a) => (a === RECORDED_URL ? h.url : a)), { HOME: home });

  /** The JSON pepper printed, after checking it succeeded cleanly. */
  const printed = (run: PepperRun): unknown => {
    expect(run.stderr, 'stderr').to.equal('');
    expect(run.code, `exit code; stdout: ${run.stdout}`).to.equal(0);
    return JSON.parse(run.stdout) as unknown;
  };

  const recordedAs = (user: string, password: string, eauth: string, ...command: string[]): string[] => [
    '-u',
    RECORDED_URL,
    '--username',
    user,
    '--password',
    password,
    '-a',
    eauth,
    '--non-interactive',
    ...command,
  ];

  it("'*' test.ping prints what salt-api answered", async () => {
    const args = recordedAs('saltdev', 'saltdev', 'auto', '*', 'test.ping');
    const recorded = recordedPepperRun(args);
    expect(printed(await rerun(args))).to.deep.equal(JSON.parse(recorded.output));
  });

  it("'*' test.ping as a pam user prints what salt-api answered", async () => {
    const args = recordedAs('saltpam', 'saltpam', 'pam', '*', 'test.ping');
    expect(printed(await rerun(args))).to.deep.equal(JSON.parse(recordedPepperRun(args).output));
  });

  it('--client=local_async prints the jid and minions in the shape salt-api did', async () => {
    const args = recordedAs('saltdev', 'saltdev', 'auto', '--client=local_async', '*', 'test.ping');
    const ours = printed(await rerun(args)) as { return: { jid: string; minions: string[] }[] };
    expect(shapeMismatches(ours, JSON.parse(recordedPepperRun(args).output))).to.deep.equal([]);
    expect(ours.return[0]!.jid).to.match(/^\d{20}$/);
    expect(ours.return[0]!.minions).to.have.members(['minion-1', 'minion-2']);
  });

  it('--client=wheel key.list_all prints the wheel answer in the shape salt-api did', async () => {
    const args = recordedAs('saltdev', 'saltdev', 'auto', '--client=wheel', 'key.list_all');
    const ours = printed(await rerun(args)) as { return: { data: { return: unknown; success: boolean } }[] };
    expect(shapeMismatches(ours, wheelAnswerAsOfRelease(JSON.parse(recordedPepperRun(args).output)))).to.deep.equal([]);
    expect(ours.return[0]!.data.success).to.equal(true);
    expect(ours.return[0]!.data.return).to.deep.include({ minions: ['minion-1', 'minion-2'] });
  });

  it('-r gets a token from /token and runs through /run, printing what salt-api answered', async () => {
    const args = recordedAs('saltdev', 'saltdev', 'auto', '-r', '*', 'test.ping');
    expect(printed(await rerun(args))).to.deep.equal(JSON.parse(recordedPepperRun(args).output));
  });

  it('a wrong password exits 1 with pepper\'s own message, as against salt-api, and no traceback', async () => {
    const args = recordedAs('saltpam', 'wrong', 'pam', '*', 'test.ping');
    const recorded = recordedPepperRun(args);
    const run = await rerun(args);
    expect(run.code).to.equal(recorded.code).and.to.equal(1);
    expect(run.stderr).to.equal(`${recorded.output}\n`);
    expect(run.stderr).not.to.include('Traceback');
    expect(run.stdout).to.equal('');
  });

  it('takes the URL and credentials from SALTAPI_URL, SALTAPI_USER, SALTAPI_PASS, SALTAPI_EAUTH', async () => {
    expect(printed(await pepper(['minion-1', 'test.echo', 'hello']))).to.deep.equal({ return: [{ 'minion-1': 'hello' }] });
  });

  it('--client=runner test.arg one two=2: positional words arrive as "args" (sic), k=v as keywords', async () => {
    // pepper 0.5.5 sends {"fun": "test.arg", "args": ["one"], "two": "2"}; Salt's runner client
    // turns every unknown top-level key into a keyword argument, "args" included.
    expect(printed(await pepper(['--client=runner', 'test.arg', 'one', 'two=2']))).to.deep.equal({
      return: [{ args: [], kwargs: { args: ['one'], two: '2' } }],
    });
  });

  it('--client=local_batch --batch 1 runs the minions one batch at a time', async () => {
    const out = printed(await pepper(['--client=local_batch', '--batch', '1', '*', 'test.ping'])) as { return: Record<string, boolean>[] };
    expect(out.return).to.have.length(2);
    for (const batch of out.return) expect(Object.keys(batch)).to.have.length(1);
    expect(Object.assign({}, ...out.return)).to.deep.equal({ 'minion-1': true, 'minion-2': true });
  });

  it('--fail-if-incomplete polls jobs.lookup_jid until every minion answered, then exits 0', async () => {
    const run = await pepper(['--client=local_async', '--fail-if-incomplete', '*', 'test.ping']);
    expect(run.stderr).to.equal('');
    expect(run.code).to.equal(0);
    // Each line is a JSON string pepper formats itself from the lookup_jid answers.
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown);
    expect(lines).to.have.members(['{minion-1: True}', '{minion-2: True}', '{Failed: []}']);
    expect(lines.at(-1)).to.equal('{Failed: []}');
  });

  it('--fail-if-incomplete exits 1 naming the minion that never answered', async () => {
    h.sandbox.setMinion('minion-2', { down: true });
    try {
      // pepper polls at once, then every 3 s until -t runs out: with 4 s it polls at least twice,
      // so minion-1's return is in whether or not the first poll came before it.
      const run = await pepper(['--client=local_async', '--fail-if-incomplete', '-t', '4', '*', 'test.ping']);
      expect(run.code).to.equal(1);
      const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown);
      expect(lines).to.deep.equal(['{minion-1: True}', "{Failed: ['minion-2']}"]);
    } finally {
      h.sandbox.setMinion('minion-2', {});
    }
  });

  it('-T caches the login in ~/.peppercache and reuses it while it is valid', async () => {
    const cache = path.join(home, '.peppercache');
    expect(printed(await pepper(['-T', 'minion-1', 'test.ping']))).to.deep.equal({ return: [{ 'minion-1': true }] });
    const saved = JSON.parse(await readFile(cache, 'utf8')) as { token: string; expire: number; user: string; eauth: string };
    expect(saved.token).to.match(/^[0-9a-f]{64}$/);
    expect(saved.expire).to.be.greaterThan(Date.now() / 1000 + 30);
    expect(saved).to.include({ user: 'saltdev', eauth: 'auto' });
    expect((await stat(cache)).mode & 0o777).to.equal(0o600);
    // A fresh login with this password would be refused: success means the cached token was used.
    expect(printed(await pepper(['-T', 'minion-2', 'test.ping'], { SALTAPI_PASS: 'wrong' }))).to.deep.equal({
      return: [{ 'minion-2': true }],
    });
    expect(JSON.parse(await readFile(cache, 'utf8'))).to.deep.equal(saved);
  });
});
