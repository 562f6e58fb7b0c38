/**
 * Log files (issue 11, item 6): created 0640, never world-readable; written asynchronously and in
 * batches, off the request's path; nothing lost when SIGHUP reopens the file or the process
 * shuts down. The Sink's file operations are replaced by a stand-in where the order of events
 * must be exact (a write held under way while more lines come), and are real everywhere else.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import fc from 'fast-check';
import { LineBuffer } from '../src/lineBuffer.js';
import { LOG_FILE_MODE, Sink, createLogger, flushLogs, type SinkIo } from '../src/log.js';
import { seeded } from './support/fuzz.js';
import { runModule } from './support/exitScript.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { RELEASE } from './support/release.js';
import { sandboxConfigDir } from './support/sandboxConfig.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

interface HeldWrite {
  fd: number;
  text: string;
  /** The bytes handed to the write, as they are now (the sink must not touch them until it completes). */
  data: Buffer;
  /** Complete the write, with this many bytes written (all by default) or an error. */
  finish(written?: number, error?: NodeJS.ErrnoException): void;
}

/** File operations that only record, and complete a write when the test says so. */
class FakeIo implements SinkIo {
  readonly writes: HeldWrite[] = [];
  readonly syncWrites: { fd: number; text: string }[] = [];
  readonly closed: number[] = [];
  readonly opened: string[] = [];
  private nextFd = 10;

  open(file: string): number {
    this.opened.push(file);
    return this.nextFd++;
  }
  write(fd: number, data: Buffer, done: (error: NodeJS.ErrnoException | null, written: number) => void): void {
    this.writes.push({ fd, text: data.toString(), data, finish: (written = data.length, error) => done(error ?? null, error ? 0 : written) });
  }
  writeSync(fd: number, data: Buffer): number {
    this.syncWrites.push({ fd, text: data.toString() });
    return data.length;
  }
  close(fd: number): void {
    this.closed.push(fd);
  }
  /** The write under way (the last one started). */
  get pending(): HeldWrite {
    const last = this.writes.at(-1);
    if (!last) throw new Error('no write started');
    return last;
  }
}

/** Whether `promise` has settled, after the callbacks already due have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

/** One turn of the event loop: the lines written in the last one have gone to a write (a sink with no batch delay). */
const turn = () => new Promise((resolve) => setImmediate(resolve));

const lines = (count: number, tag: string) => Array.from({ length: count }, (_, i) => `${tag} ${i}\n`);

describe('log sink', () => {
  it('hands the lines of a turn to one asynchronous write and returns: no synchronous write on the request path', async () => {
    const io = new FakeIo();
    const sink = new Sink('/var/log/x.log', io, 0);
    sink.write('first\n');
    sink.write('second\n');
    expect(io.syncWrites).to.deep.equal([]);
    expect(io.writes).to.deep.equal([]);
    await turn();
    expect(io.writes.map(({ fd, text }) => ({ fd, text }))).to.deep.equal([{ fd: 10, text: 'first\nsecond\n' }]);
    const flushed = sink.flush();
    expect(await settled(flushed)).to.equal(false);
    io.pending.finish();
    expect(await settled(flushed)).to.equal(true);
  });

  it('batches the lines logged while a write is under way into the next write, in order', async () => {
    const io = new FakeIo();
    const sink = new Sink('/var/log/x.log', io, 0);
    sink.write('first\n');
    await turn();
    for (const line of lines(500, 'line')) sink.write(line);
    await turn();
    expect(io.writes).to.have.length(1);
    io.pending.finish();
    await turn();
    expect(io.writes).to.have.length(2);
    expect(io.pending.text).to.equal(lines(500, 'line').join(''));
    io.pending.finish();
    await sink.flush();
    expect(io.writes).to.have.length(2);
  });

  it('reuses the room of a written batch for a later one, and never the room of a write under way', async () => {
    // Steady batches take turns in two buffers, with no fresh memory per batch.
    const io = new FakeIo();
    const sink = new Sink('/var/log/x.log', io, 0);
    for (let round = 0; round < 4; round++) {
      for (const line of lines(100, `round ${round}`)) sink.write(line);
      await turn();
      if (round > 0) io.writes[round - 1]!.finish();
      await turn();
    }
    io.pending.finish();
    await sink.flush();
    expect(io.writes.map(({ text }) => text)).to.deep.equal([0, 1, 2, 3].map((round) => lines(100, `round ${round}`).join('')));
    expect(io.writes[2]!.data.buffer).to.equal(io.writes[0]!.data.buffer);
    expect(io.writes[3]!.data.buffer).to.equal(io.writes[1]!.data.buffer);
    expect(io.writes[1]!.data.buffer).to.not.equal(io.writes[0]!.data.buffer);

    // Any lines (some longer than the room, which then grows), any partial writes, writes held
    // while more lines come: every write's bytes are intact until it completes, and all lines
    // arrive once, in order.
    const step = fc.oneof(
      fc.record({ log: fc.array(fc.oneof({ weight: 6, arbitrary: fc.string({ maxLength: 120 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 200_000 }).map((n) => 'x'.repeat(n)) }), { minLength: 1, maxLength: 40 }) }),
      fc.record({ finish: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const held = new FakeIo();
        const under = new Sink('/var/log/y.log', held, 0);
        const logged: string[] = [];
        const onDisk: Buffer[] = [];
        let done = 0;
        const finishOne = (bytes?: number) => {
          const write = held.writes[done];
          if (!write) return;
          expect(write.data.toString()).to.equal(write.text);
          done++;
          const written = Math.min(bytes ?? write.data.length, write.data.length);
          onDisk.push(Buffer.from(write.data.subarray(0, written)));
          write.finish(written);
        };
        for (const next of steps) {
          if ('log' in next) {
            for (const text of next.log) {
              under.write(`${text}\n`);
              logged.push(`${text}\n`);
            }
          } else finishOne(next.finish);
          await turn();
        }
        const flushed = under.flush();
        while (!(await settled(flushed))) finishOne();
        expect(Buffer.concat(onDisk).toString()).to.equal(logged.join(''));
      }),
      seeded(60),
    );
  });

  it('writes the rest after a partial write, and falls back to stderr when the disk refuses', async () => {
    const io = new FakeIo();
    const sink = new Sink('/var/log/x.log', io, 0);
    sink.write('abcdef\n');
    await turn();
    io.pending.finish(3);
    expect(io.pending.text).to.equal('def\n');
    io.pending.finish();
    await sink.flush();
    const stderr: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      sink.write('lost?\n');
      await turn();
      io.pending.finish(0, Object.assign(new Error('no space'), { code: 'ENOSPC' }));
      await sink.flush();
    } finally {
      process.stderr.write = original;
    }
    expect(stderr).to.deep.equal(['lost?\n']);
  });

  it('on reopen (SIGHUP), the old file gets every line logged before it and is closed after them; later lines go to the new one', async () => {
    const io = new FakeIo();
    const sink = new Sink('/var/log/x.log', io, 0);
    sink.write('before 1\n');
    await turn();
    sink.write('before 2\n');
    sink.reopen();
    sink.write('after 1\n');
    // The first write is still under way: nothing is closed yet.
    expect(io.closed).to.deep.equal([]);
    io.pending.finish();
    await turn();
    expect(io.pending).to.deep.include({ fd: 10, text: 'before 2\n' });
    expect(io.closed).to.deep.equal([]);
    io.pending.finish();
    await turn();
    expect(io.closed).to.deep.equal([10]);
    expect(io.pending).to.deep.include({ fd: 11, text: 'after 1\n' });
    io.pending.finish();
    await sink.flush();
    expect(io.opened).to.deep.equal(['/var/log/x.log', '/var/log/x.log']);
    expect(io.writes.map(({ fd, text }) => `${fd}:${text}`)).to.deep.equal(['10:before 1\n', '10:before 2\n', '11:after 1\n']);
  });

  it('drops lines rather than growing without bound while the disk is stalled, and says how many', async () => {
    const io = new FakeIo();
    const sink = new Sink('/var/log/x.log', io, 0);
    sink.write('stuck\n');
    await turn();
    const line = `${'x'.repeat(1023)}\n`;
    // 8 MiB of characters fit in the queue; the 100 lines after them do not.
    for (let i = 0; i < 8192 + 100; i++) sink.write(line);
    io.pending.finish();
    await turn();
    expect(io.pending.text).to.equal(line.repeat(8192));
    // The queue has room again: the next line comes with the count of those dropped.
    sink.write('later\n');
    io.pending.finish();
    await turn();
    expect(io.pending.text).to.match(/^\S+ \[ERROR\] 100 log lines dropped: the log file fell 8388608 bytes behind\nlater\n$/);
    io.pending.finish();
    await sink.flush();
  });

  it('flushLogs() waits for every sink with lines under way (graceful shutdown)', async () => {
    const io = new FakeIo();
    const sink = new Sink('/var/log/x.log', io, 0);
    const other = new Sink('/var/log/y.log', io, 0);
    sink.write('a\n');
    other.write('b\n');
    const flushed = flushLogs();
    await turn();
    io.writes[0]!.finish();
    expect(await settled(flushed)).to.equal(false);
    io.writes[1]!.finish();
    expect(await settled(flushed)).to.equal(true);
  });

  it("drains an attached source's held lines before flushLogs(), before a reopen and at exit, whatever was written before", async () => {
    const io = new FakeIo();
    const sink = new Sink('/var/log/audit.log', io, 0);
    const held: string[] = [];
    sink.attach({ drain: () => held.splice(0).forEach((line) => sink.write(line)) });
    const hold = (line: string) => {
      held.push(line);
      sink.holds();
    };
    // Held while a write is under way that then completes with nothing else queued: still flushed.
    sink.write('written\n');
    await turn();
    hold('held 1\n');
    io.pending.finish();
    let flushed = flushLogs();
    await turn();
    expect(io.pending.text).to.equal('held 1\n');
    io.pending.finish();
    expect(await settled(flushed)).to.equal(true);
    // Held by a sink with nothing written for a while: flushLogs() comes by all the same.
    hold('held 2\n');
    flushed = flushLogs();
    await turn();
    expect(io.pending.text).to.equal('held 2\n');
    io.pending.finish();
    expect(await settled(flushed)).to.equal(true);
    // Held before a reopen: the old file's line.
    hold('held 3\n');
    sink.reopen();
    sink.write('after\n');
    await turn();
    expect(io.writes.slice(3).map(({ fd, text }) => [fd, text])).to.deep.equal([[10, 'held 3\n']]);
    io.pending.finish();
    await turn();
    expect(io.pending.fd).to.equal(11);
    expect(io.pending.text).to.equal('after\n');
    io.pending.finish();
    // Held at exit.
    hold('held 4\n');
    sink.flushSync();
    expect(io.syncWrites).to.deep.equal([{ fd: 11, text: 'held 4\n' }]);
    expect(held).to.deep.equal([]);
  });

  it('at exit, writes what is still queued synchronously (process.exit without a flush)', async () => {
    const io = new FakeIo();
    const sink = new Sink('/var/log/x.log', io, 0);
    sink.write('under way\n');
    await turn();
    sink.write('queued 1\n');
    sink.write('queued 2\n');
    sink.flushSync();
    // The write under way is the kernel's already; writing it again could double it.
    expect(io.syncWrites).to.deep.equal([{ fd: 10, text: 'queued 1\nqueued 2\n' }]);
    io.pending.finish();
  });

  it('a process that exits without flushing (process.exit, a second signal) still leaves every queued line in the file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-exit-'));
    try {
      const file = path.join(dir, 'api.log');
      const code = await runModule(
        dir,
        { createLogger: 'src/log.js' },
        `const log = createLogger({ file: ${JSON.stringify(file)} });\n` + `for (let i = 0; i < 2000; i++) log.info('line ' + i);\n` + `process.exit(0);\n`,
      );
      expect(code).to.equal(0);
      const logged = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => / \[INFO\] (.*)$/.exec(line)?.[1]);
      const all = Array.from({ length: 2000 }, (_, i) => `line ${i}`);
      // The first line's write was under way at the exit: the kernel has it, or (in theory) not yet;
      // every line after it was still queued, and only the exit hook can have written those.
      expect(logged).to.deep.equal(logged.length === all.length ? all : all.slice(1));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with real files: created 0640 (the reopened one too), thousands of lines, a rename and a reopen in between, all there in order after flushLogs()', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-sink-'));
    const umask = process.umask(0o022);
    try {
      const file = path.join(dir, 'api.log');
      const sink = new Sink(file);
      for (const line of lines(3000, 'old')) sink.write(line);
      renameSync(file, `${file}.1`);
      sink.reopen();
      for (const line of lines(3000, 'new')) sink.write(line);
      await flushLogs();
      expect((statSync(file).mode & 0o777).toString(8)).to.equal('640');
      expect((statSync(`${file}.1`).mode & 0o777).toString(8)).to.equal('640');
      expect(readFileSync(`${file}.1`, 'utf8')).to.equal(lines(3000, 'old').join(''));
      expect(readFileSync(file, 'utf8')).to.equal(lines(3000, 'new').join(''));
    } finally {
      process.umask(umask);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('log file modes', () => {
  let sandbox: Sandbox;
  let dir: string;
  let umask: number;
  const running = new Set<ChildProcess>();

  before(async () => {
    // What a service usually runs with: files would be 0644 without an explicit mode.
    umask = process.umask(0o022);
    sandbox = await startSandbox({ release: RELEASE.version });
    dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-modes-'));
  });
  afterEach(async () => {
    for (const child of running) {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await gone;
      }
    }
    running.clear();
  });
  after(async () => {
    process.umask(umask);
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const mode = (file: string) => statSync(file).mode & 0o777;

  /** Start the command; resolve with its URL once `logFile` says it listens. */
  async function start(args: string[], logFile: string): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (stderr += chunk));
    // Poll the log file for the line (not a sleep as synchronisation: the line is the signal).
    for (;;) {
      const url = existsSync(logFile) ? /listening on (http:\/\/\S+)/.exec(readFileSync(logFile, 'utf8'))?.[1] : undefined;
      if (url) return { child, url, exited };
      if (child.exitCode !== null) throw new Error(`the command exited:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it(`creates log_access_file and log_error_file ${LOG_FILE_MODE.toString(8)}, and SIGTERM leaves every line in them`, async () => {
    const access = path.join(dir, 'access.log');
    const errors = path.join(dir, 'error.log');
    const api = await start(['-c', sandboxConfigDir(sandbox, dir, 'files', { log_access_file: access, log_error_file: errors })], errors);
    expect(mode(access).toString(8)).to.equal('640');
    expect(mode(errors).toString(8)).to.equal('640');
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => fetch(new URL(`/?n=${i}`, api.url)).then((res) => res.status)));
    expect(answers.every((status) => status === 200)).to.equal(true);
    api.child.kill('SIGTERM');
    expect(await api.exited).to.equal(0);
    const logged = readFileSync(access, 'utf8').split('\n').filter(Boolean);
    expect(logged).to.have.length(50);
    expect(logged.map((line) => /"GET \/\?n=(\d+) /.exec(line)?.[1]).sort((a, b) => Number(a) - Number(b))).to.deep.equal(Array.from({ length: 50 }, (_, i) => String(i)));
    expect(readFileSync(errors, 'utf8')).to.include('SIGTERM received; shutting down');
  });

  it(`creates the --log-file ${LOG_FILE_MODE.toString(8)}`, async () => {
    const file = path.join(dir, 'cli.log');
    const api = await start(['--sandbox', '--port', '0', '--host', '127.0.0.1', '--log-file', file], file);
    expect(mode(file).toString(8)).to.equal('640');
    api.child.kill('SIGTERM');
    expect(await api.exited).to.equal(0);
  });

  it('creates a logger file 0640 in-process too, and leaves the mode of an existing file alone', async () => {
    const fresh = path.join(dir, 'fresh.log');
    createLogger({ file: fresh }).info('hello');
    expect(mode(fresh).toString(8)).to.equal('640');
    const existing = path.join(dir, 'existing.log');
    writeFileSync(existing, '', { mode: 0o600 });
    createLogger({ file: existing }).info('hello');
    await flushLogs();
    expect(mode(existing).toString(8)).to.equal('600');
    expect(readFileSync(fresh, 'utf8')).to.match(/\[INFO\] hello\n$/);
  });
});

describe('log lines as bytes (LineBuffer)', () => {
  it('holds exactly the UTF-8 of the lines appended, whatever their characters and lengths', () => {
    // Any UTF-16 text (lone surrogates included, which UTF-8 writes as U+FFFD, as Buffer.from does),
    // short lines that fill chunks and lines longer than a chunk.
    const line = fc.oneof(
      { weight: 8, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
      { weight: 1, arbitrary: fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }), fc.integer({ min: 20_000, max: 70_000 })).map(([text, times]) => text.repeat(times)) },
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 60 }), (lines) => {
        const buffer = new LineBuffer();
        for (const text of lines) buffer.append(text);
        const expected = Buffer.from(lines.join(''));
        expect(buffer.bytes).to.equal(expected.length);
        expect(buffer.take().equals(expected)).to.equal(true);
      }),
      seeded(100),
    );
  });
});
