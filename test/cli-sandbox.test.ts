/**
 * The embedded sandbox master runs only when asked for (issue 11, item 5): a production start
 * whose master config cannot be read (a service started as the wrong user) must stop, naming the
 * file and the user, not serve simulated minions behind a published password.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import request from 'supertest';
import { portAccepts, freePort } from './support/sockets.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const MASTER = '/etc/salt/master';

interface Outcome {
  /** The exit code, or 'listening' when the command started serving instead. */
  code: number | null | 'listening';
  stderr: string;
  url?: string;
}

/** Children still running after a test: stopped in afterEach. */
const children = new Set<ChildProcess>();

/**
 * Run the command until it exits or says it listens, whichever comes first (a listening one is
 * left running for the test, then killed): a command that wrongly starts never hangs the test.
 */
function run(args: string[], options: SpawnOptions = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(child);
    let stderr = '';
    let settled = false;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url && !settled) {
        settled = true;
        resolve({ code: 'listening', stderr, url });
      }
    });
    child.once('close', (code) => {
      if (settled) return;
      settled = true;
      resolve({ code, stderr });
    });
  });
}


function masterReadable(): boolean {
  try {
    accessSync(MASTER, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

const refusal = (user: string, code: string) =>
  `salt-api-koa: cannot read ${MASTER} as user ${user} (${code}); run as the master's user, pass -c DIR, or --sandbox to try the embedded sandbox\n`;

describe('salt-api-koa command and the sandbox', () => {
  afterEach(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await gone;
      }
    }
    children.clear();
  });

  it(`without -c or --sandbox and ${MASTER} unreadable: exit 2, one line naming the file and the user, nothing listening`, async function () {
    if (masterReadable()) this.skip();
    const port = await freePort();
    const result = await run(['--port', String(port), '--host', '127.0.0.1']);
    expect(result.code, result.stderr).to.equal(2);
    expect(result.stderr).to.match(/^salt-api-koa: cannot read \/etc\/salt\/master as user /);
    expect(result.stderr).to.equal(refusal(os.userInfo().username, 'ENOENT'));
    expect(await portAccepts(port)).to.equal(false);
  });

  it('names the user the service was started as (root runs it as nobody here)', async function () {
    if (process.getuid?.() !== 0 || masterReadable()) this.skip();
    const nobody = 65534;
    const result = await run(['--port', '0', '--host', '127.0.0.1'], { uid: nobody, gid: nobody });
    expect(result.code, result.stderr).to.equal(2);
    expect(result.stderr).to.equal(refusal(userName(nobody), 'ENOENT'));
  });

  it('--sandbox, which npm start passes, starts the embedded sandbox master and says so first', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(manifest.scripts.start).to.equal('npm run build && node dist/src/cli.js --sandbox');
    const result = await run(['--sandbox', '--port', '0', '--host', '127.0.0.1']);
    expect(result.code, result.stderr).to.equal('listening');
    const [first] = result.stderr.split('\n');
    expect(first).to.include('[WARNING] running on the embedded sandbox master (--sandbox given)');
    await request(result.url!).post('/login').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
  });

  it('--sandbox-minions N simulates minion-1 … minion-N, each accepted and answering', async () => {
    const result = await run(['--sandbox', '--sandbox-minions', '300', '--port', '0', '--host', '127.0.0.1']);
    expect(result.code, result.stderr).to.equal('listening');
    const res = await request(result.url!)
      .post('/run')
      .set('Accept', 'application/json')
      .send([{ client: 'local', tgt: '*', fun: 'test.ping', username: 'saltdev', password: 'saltdev', eauth: 'auto' }])
      .expect(200);
    const answers = (res.body as { return: Record<string, unknown>[] }).return[0] ?? {};
    expect(Object.keys(answers)).to.have.length(300);
    expect(answers).to.include({ 'minion-1': true, 'minion-300': true });
  });

  for (const [args, message] of [
    [['--sandbox', '--sandbox-minions', '0'], '--sandbox-minions: expected a whole number ≥ 1, got "0"'],
    [['--sandbox', '--sandbox-minions', '1e3'], '--sandbox-minions: expected a whole number ≥ 1, got "1e3"'],
    [['--sandbox-minions', '10'], '--sandbox-minions needs --sandbox'],
  ] as const) {
    it(`refuses ${args.join(' ')}: exit 2, naming the option`, async () => {
      const result = await run([...args, '--port', '0', '--host', '127.0.0.1']);
      expect(result.code, result.stderr).to.equal(2);
      expect(result.stderr).to.include(message);
    });
  }
});

/** The passwd name of `uid`, as the command will see it. */
function userName(uid: number): string {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.split(':')[2] === String(uid));
  return line?.split(':')[0] ?? `uid ${uid}`;
}
