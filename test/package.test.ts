/**
 * The npm package as a user gets it: `npm pack` (its prepack build) on a copy of the project, the
 * tarball installed into an empty directory, then `npx salt-api-koa --version` and
 * `npx salt-api-koa --sandbox`, answering `GET /`.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { projectRoot } from './support/paths.js';

const run = promisify(execFile);
const NOT_SHIPPED = new Set(['node_modules', 'dist', '.git']);

describe('the npm package', function () {
  this.timeout(300_000);
  let scratch: string;
  let tarball: string;
  let files: string[];

  before(async () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-pack-'));
    // A copy, since prepack rebuilds dist/ from scratch and the suite runs from this dist/.
    const source = path.join(scratch, 'source');
    cpSync(projectRoot, source, { recursive: true, filter: (from) => !NOT_SHIPPED.has(path.relative(projectRoot, from).split(path.sep)[0] ?? '') });
    symlinkSync(path.join(projectRoot, 'node_modules'), path.join(source, 'node_modules'));
    const packed = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: source, maxBuffer: 64 * 1024 * 1024 });
    const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    tarball = path.join(scratch, info.filename);
    files = info.files.map((file) => file.path);
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('ships the built code, its types, the console, the OpenAPI description, the license and the changelog, and no tests, bench or maps', () => {
    for (const needed of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli.js', 'dist/src/sandbox/index.js', 'dist/console/index.html', 'docs/openapi.yaml']) {
      expect(files, needed).to.include(needed);
    }
    expect(files.filter((file) => /^(dist\/)?(test|bench|examples)\/|\.map$|^\.ci\//.test(file))).to.deep.equal([]);
  });

  it('installs into an empty directory and runs: --version, then --sandbox answering GET /', async () => {
    const app = path.join(scratch, 'app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'try-salt-api-koa', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', tarball], { cwd: app, maxBuffer: 64 * 1024 * 1024 });
    expect(readdirSync(path.join(app, 'node_modules', 'salt-api-koa'))).to.include('dist');
    const version = await run('npx', ['--no-install', 'salt-api-koa', '--version'], { cwd: app });
    expect(version.stdout).to.match(/^salt-api-koa \d+\.\d+\.\d+\n$/);

    const child = spawn('npx', ['--no-install', 'salt-api-koa', '--sandbox', '--port', '0', '--host', '127.0.0.1'], { cwd: app, detached: true });
    try {
      let log = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          log += chunk.toString('utf8');
          const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log)?.[1];
          if (found) resolve(found);
        });
        child.once('exit', (code) => reject(new Error(`salt-api-koa exited (${String(code)}):\n${log}`)));
      });
      const res = await fetch(url);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.include({ return: 'Welcome' });
      // The installed package finds its shipped docs/openapi.yaml.
      const openapi = await fetch(`${url}/openapi.json`);
      expect(openapi.status).to.equal(200);
      expect(await openapi.json()).to.deep.include({ openapi: '3.1.0' });
      // The main entry works on its own and does not load the sandbox; the sandbox has its subpath.
      const script = "const api = await import('salt-api-koa'); const sb = await import('salt-api-koa/sandbox'); console.log(typeof api.startServer, 'startSandbox' in api, typeof sb.startSandbox);";
      const entry = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app });
      expect(entry.stdout).to.equal('function false function\n');
    } finally {
      // npx runs the command in a child: end the whole group.
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    }
  });
});
