/**
 * `ssh_max_concurrent`: how many salt-ssh processes one API process runs at once. The fake
 * salt-ssh (src/sandbox/fakeSaltSsh.ts) checks in at a gate socket and runs only once the test
 * lets it go, so the test knows exactly how many are running.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startHarness, type Harness } from './support/harness.js';
import { fakeSshMaster } from './support/fakeSsh.js';


/** Runs of the fake salt-ssh that have checked in, each held until released. */
class Gate {
  private readonly arrived: net.Socket[] = [];
  private readonly all = new Set<net.Socket>();
  private readonly waiters: ((socket: net.Socket) => void)[] = [];
  private readonly server: net.Server;

  constructor(readonly socketPath: string) {
    this.server = net.createServer((socket) => {
      this.all.add(socket);
      socket.once('close', () => this.all.delete(socket));
      socket.once('data', () => {
        const waiter = this.waiters.shift();
        if (waiter) waiter(socket);
        else this.arrived.push(socket);
      });
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  /** The next run to check in (already there, or when it does). */
  next(): Promise<net.Socket> {
    const socket = this.arrived.shift();
    if (socket) return Promise.resolve(socket);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Let every run still held go, and stop taking new ones. */
  close(): Promise<void> {
    for (const socket of this.all) socket.end();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('ssh_max_concurrent', () => {
  let tmp: string;
  let gate: Gate;
  let h: Harness;
  let token: string;

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-ssh-limits-'));
    gate = new Gate(path.join(tmp, 'gate.sock'));
    await gate.listen();
    process.env.SALT_SSH_FAKE_GATE = gate.socketPath;
    h = await startHarness({
      api: { ssh_max_concurrent: 2 },
      master: fakeSshMaster(tmp),
    });
    const res = await h.http.post('/token').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
    token = res.body[0].token as string;
  });

  after(async () => {
    delete process.env.SALT_SSH_FAKE_GATE;
    await gate.close();
    await h.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** The gate socket of `run`'s salt-ssh once it has checked in; an answer first is a failure. */
  const checkedIn = (run: Promise<{ status: number; body: unknown }>, arrival = gate.next()): Promise<net.Socket> =>
    Promise.race([
      arrival,
      run.then((answer) => {
        throw new Error(`answered before its salt-ssh checked in at the gate: ${JSON.stringify(answer)}`);
      }),
    ]);
  const ping = () =>
    h.http
      .post('/run')
      .send([{ client: 'ssh', token, tgt: '*', fun: 'test.ping' }])
      .then((res) => ({ status: res.status, body: res.body as unknown }));
  const pong = { status: 200, body: { return: [{ web1: { fun: 'test.ping', fun_args: [], id: 'web1', retcode: 0, return: true } }] } };
  /** `pong` without the per-run jid and _stamp. */
  const plain = (answer: { status: number; body: unknown }) => {
    const { return: [hosts] = [] } = answer.body as { return?: Record<string, Record<string, unknown>>[] };
    for (const ret of Object.values(hosts ?? {})) {
      delete ret.jid;
      delete ret._stamp;
    }
    return answer;
  };

  it('refuses a run past the cap with 503 while the others run, and takes runs again as they end', async () => {
    const runs = [ping(), ping()];
    const running = await Promise.all(runs.map((run) => checkedIn(run)));

    // Either the answer comes, or a third salt-ssh checks in at the gate.
    const extra = gate.next();
    const refused = await Promise.race([ping(), extra.then((socket) => (socket.end(), 'a third salt-ssh was started'))]);
    expect(refused).to.deep.equal({
      status: 503,
      body: {
        status: 503,
        return: 'Too many salt-ssh runs in progress: this API process runs at most 2 at once (option ssh_max_concurrent). Try again when one has finished.',
      },
    });

    // One ends (which run it was does not matter): its slot is free again by the time it has answered.
    running[0]!.end();
    expect(plain(await Promise.race(runs))).to.deep.equal(pong);
    const third = ping();
    const again = await checkedIn(third, extra);
    again.end();
    expect(plain(await third)).to.deep.equal(pong);
    running[1]!.end();
    expect((await Promise.all(runs)).map(plain)).to.deep.equal([pong, pong]);
  });

  it('a chunk refused before salt-ssh starts (a forbidden ssh option) takes no slot', async () => {
    for (let i = 0; i < 3; i++) {
      await h.http.post('/run').send([{ client: 'ssh', token, tgt: '*', fun: 'test.ping', ssh_options: ['ProxyCommand=x'] }]).expect(400);
    }
    const first = ping();
    const second = ping();
    const running = await Promise.all([checkedIn(first), checkedIn(second)]);
    for (const socket of running) socket.end();
    expect([plain(await first), plain(await second)]).to.deep.equal([pong, pong]);
  });
});
