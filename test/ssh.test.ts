/**
 * The `ssh` client against a fake salt-ssh (src/sandbox/fakeSaltSsh.ts) that records the argv it
 * was started with: what salt-ssh gets for good requests, and that it is never started for the
 * attacks of security.md (CVE-2020-25592, CVE-2020-16846, CVE-2021-3197, CVE-2021-3148).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startHarness, login, type Harness } from './support/harness.js';
import { fakeSshMaster, type FakeSshMaster } from './support/fakeSsh.js';


interface Started {
  argv: string[];
  cwd: string;
  pid: number;
}

describe('ssh', () => {
  let tmp: string;
  let fake: FakeSshMaster;
  let rosterDir: string;
  let recordFile: string;

  function started(): Started[] {
    const text = readFileSync(recordFile, 'utf8');
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Started);
  }

  /** The argv every run begins with, up to and including the jid. */
  function head(jid: string): string[] {
    return ['--out=json', '--static', '--no-color', `--config-dir=${fake.salt_ssh_config_dir}`, `--jid=${jid}`];
  }

  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-ssh-'));
    fake = fakeSshMaster(tmp, 'web1:\n  host: 192.0.2.1\nweb2:\n  host: 192.0.2.2\ndb1:\n  host: 192.0.2.3\n');
    rosterDir = path.join(tmp, 'rosters');
    mkdirSync(rosterDir);
    writeFileSync(path.join(rosterDir, 'lab.roster'), 'lab1:\n  host: 192.0.2.10\nlab2:\n  host: 192.0.2.11\n');
    recordFile = path.join(tmp, 'started.jsonl');
    process.env.SALT_SSH_FAKE_RECORD = recordFile;
  });

  after(() => {
    delete process.env.SALT_SSH_FAKE_RECORD;
    rmSync(tmp, { recursive: true, force: true });
  });

  beforeEach(() => {
    writeFileSync(recordFile, '');
  });

  function sshHarness(master: Record<string, unknown> = {}): Promise<Harness> {
    return startHarness({
      sandbox: {
        users: { saltdev: { password: 'saltdev' }, limited: { password: 'limited' } },
        externalAuth: {
          auto: {
            saltdev: ['.*', '@runner', '@wheel'],
            limited: ['test.ping', { '*': [{ 'test.echo': { args: ['hello'] } }] }, { 'web*': ['grains.get'] }],
          },
        },
      },
      master: { ...fake, rosters: [rosterDir], ...master },
    });
  }

  async function saltToken(h: Harness): Promise<string> {
    const res = await h.http.post('/token').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
    return res.body[0].token as string;
  }

  describe('ssh client', () => {
    let h: Harness;
    let token: string;
    before(async () => {
      h = await sshHarness();
      token = await saltToken(h);
    });
    after(async () => {
      await h.close();
    });

    const run = (chunk: Record<string, unknown>, credentials: Record<string, unknown> = { token }) =>
      h.http.post('/run').send([{ client: 'ssh', ...credentials, ...chunk }]);

    describe('running salt-ssh', () => {
      it('POST /run with a /token token runs salt-ssh with an argv array and answers full per-host returns', async () => {
        const res = await run({ tgt: '*', fun: 'test.ping' }).expect(200);
        const hosts = res.body.return[0] as Record<string, Record<string, unknown>>;
        expect(Object.keys(hosts).sort()).to.deep.equal(['db1', 'web1', 'web2']);
        const jid = hosts.web1!.jid as string;
        expect(jid).to.match(/^\d{20}$/);
        for (const [id, ret] of Object.entries(hosts)) {
          expect(ret).to.deep.include({ fun: 'test.ping', fun_args: [], id, jid, retcode: 0, return: true });
          expect(ret._stamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
        }
        expect(started().map(({ argv, cwd }) => ({ argv, cwd }))).to.deep.equal([{ argv: [...head(jid), '--', '*', 'test.ping'], cwd: '/' }]);
      });

      it('POST / runs with the session token', async () => {
        const session = await login(h);
        const res = await h.http
          .post('/')
          .set('X-Auth-Token', session)
          .send([{ client: 'ssh', tgt: 'web*', fun: 'grains.get', arg: ['os'] }])
          .expect(200);
        const hosts = res.body.return[0] as Record<string, Record<string, unknown>>;
        expect(Object.keys(hosts).sort()).to.deep.equal(['web1', 'web2']);
        expect(hosts.web1).to.deep.include({ fun: 'grains.get', fun_args: ['os'], return: 'Debian' });
        expect(started()[0]?.argv).to.deep.equal([...head(hosts.web1!.jid as string), '--', 'web*', 'grains.get', 'os']);
      });

      it('gives each argument, keyword and ssh option its own argv item', async () => {
        const res = await run({
          tgt: ['web1', 'db1'],
          fun: 'test.arg',
          arg: ['hello world', 5, { a: [1, 'x'] }, 'name=v'],
          kwarg: { flag: true, opt: '-x' },
          ssh_user: 'deploy',
          ssh_priv: '/etc/salt/pki/master/ssh/salt-ssh.rsa',
          ssh_options: ['StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null'],
          ssh_sudo: true,
          ignore_host_keys: 'false',
          ssh_max_procs: '5',
          thin_extra_mods: 'yaml,six',
          static: true,
          timeout: 30,
        }).expect(200);
        const hosts = res.body.return[0] as Record<string, Record<string, unknown>>;
        expect(Object.keys(hosts).sort()).to.deep.equal(['db1', 'web1']);
        const kwargs = { name: 'v', flag: true, opt: '-x' };
        expect(hosts.web1!.return).to.deep.equal({ args: ['hello world', 5, { a: [1, 'x'] }], kwargs });
        expect(hosts.web1!.fun_args).to.deep.equal(['hello world', 5, { a: [1, 'x'] }, kwargs]);
        expect(started()[0]?.argv).to.deep.equal([
          ...head(hosts.web1!.jid as string),
          '--list',
          '--user=deploy',
          '--priv=/etc/salt/pki/master/ssh/salt-ssh.rsa',
          '--ssh-option=StrictHostKeyChecking=no',
          '--ssh-option=UserKnownHostsFile=/dev/null',
          '--max-procs=5',
          '--sudo',
          '--thin-extra-modules=yaml,six',
          '--',
          'web1,db1',
          'test.arg',
          'hello world',
          '5',
          '{"a": [1, "x"]}',
          'name=v',
          'flag=true',
          'opt=-x',
        ]);
      });

      it('maps tgt_type to salt-ssh target flags', async () => {
        const res = await run({ tgt: 'web[12]|db1', tgt_type: 'pcre', fun: 'test.ping' }).expect(200);
        expect(Object.keys(res.body.return[0]).sort()).to.deep.equal(['db1', 'web1', 'web2']);
        expect(started()[0]?.argv).to.include('--pcre');
      });

      it('looks roster_file up inside the configured rosters directories only', async () => {
        const res = await run({ tgt: '*', fun: 'test.ping', roster_file: 'lab.roster' }).expect(200);
        expect(Object.keys(res.body.return[0]).sort()).to.deep.equal(['lab1', 'lab2']);
        expect(started()[0]?.argv).to.include(`--roster-file=${path.join(rosterDir, 'lab.roster')}`);
      });

      it('still answers with the JSON salt-ssh printed when it exits non-zero', async () => {
        const res = await run({ tgt: 'db1', fun: 'nosuch.function' }).expect(200);
        expect(res.body.return[0].db1).to.deep.include({ return: "'nosuch.function' is not available.", retcode: 1 });
      });

      it('answers an empty mapping when no host matches', async () => {
        const res = await run({ tgt: 'nothing*', fun: 'test.ping' }).expect(200);
        expect(res.body.return).to.deep.equal([{}]);
      });

      it('answers 500 with a clear message, and no stack, when salt-ssh prints something else', async () => {
        process.env.SALT_SSH_FAKE_OUTPUT = 'garbage';
        try {
          const res = await run({ tgt: '*', fun: 'test.ping' }).expect(500);
          expect(res.body.return).to.equal('salt-ssh printed output that is not JSON (exit status 1)');
          expect(JSON.stringify(res.body)).to.not.include('Traceback');
        } finally {
          delete process.env.SALT_SSH_FAKE_OUTPUT;
        }
      });

      it('kills salt-ssh and answers 504 when the chunk timeout passes', async () => {
        const t0 = Date.now();
        const res = await run({ tgt: 'web1', fun: 'test.sleep', arg: [30], timeout: 1 }).expect(504);
        expect(res.body.return).to.equal('salt-ssh timed out');
        expect(Date.now() - t0).to.be.below(5000);
        const pid = started()[0]?.pid as number;
        const deadline = Date.now() + 4000;
        let alive = true;
        while (alive && Date.now() < deadline) {
          try {
            process.kill(pid, 0);
            await new Promise((resolve) => setTimeout(resolve, 50));
          } catch {
            alive = false;
          }
        }
        expect(alive, 'the salt-ssh process was killed').to.equal(false);
      });
    });

    describe('CVE-2020-25592: credentials are confirmed before salt-ssh starts', () => {
      const cases: [string, Record<string, unknown>, string][] = [
        ['a well-formed token the master does not know', { token: 'ab'.repeat(32) }, 'Authentication error occurred.'],
        ['a malformed token', { token: 'anything' }, 'Invalid token'],
        ['a token that is a path', { token: '../../etc/passwd' }, 'Invalid token'],
        ['eauth with a wrong password', { eauth: 'auto', username: 'saltdev', password: 'wrong' }, 'Authentication error occurred.'],
        ['no credentials at all', {}, 'No authentication credentials given'],
      ];
      for (const [what, credentials, message] of cases) {
        it(`${what} with a roster → 401, salt-ssh never started`, async () => {
          const res = await run({ tgt: '*', fun: 'test.ping', roster: 'flat', roster_file: 'lab.roster' }, credentials).expect(401);
          expect(res.body.return).to.equal(message);
          expect(started()).to.deep.equal([]);
        });
      }

      it('eauth credentials the master accepts run salt-ssh, with no password on its command line', async () => {
        await run({ tgt: 'web1', fun: 'test.ping' }, { eauth: 'auto', username: 'saltdev', password: 'saltdev' }).expect(200);
        expect(started()).to.have.length(1);
        expect(JSON.stringify(started())).to.not.include('saltdev');
      });
    });

    describe('hostile input is refused before salt-ssh starts', () => {
      const attacks: [string, Record<string, unknown>, number, RegExp][] = [
        // CVE-2020-16846: shell metacharacters.
        ['a pipe and ; in ssh_priv', { ssh_priv: 'aaa|touch /tmp/x;' }, 400, /'ssh_priv'/],
        ['a relative ssh_priv', { ssh_priv: 'id_rsa' }, 400, /'ssh_priv'.*absolute path/],
        ['.. in ssh_priv', { ssh_priv: '/etc/salt/../../root/.ssh/id_rsa' }, 400, /'ssh_priv'.*'\.\.'/],
        ['$() in ssh_user', { ssh_user: 'root$(id)' }, 400, /'ssh_user'/],
        ['a backquote in ssh_user', { ssh_user: 'root`id`' }, 400, /'ssh_user'/],
        // CVE-2021-3197: argument injection into ssh.
        ['a tab and -o in ssh_port', { ssh_port: '2222\t-o ProxyCommand=touch /tmp/x' }, 400, /'ssh_port'/],
        ['a valid ssh_port (salt-ssh has no flag for it)', { ssh_port: 2222 }, 400, /'ssh_port' is not accepted.*roster/],
        ['ProxyCommand in ssh_options', { ssh_options: ['ProxyCommand=/tmp/x'] }, 400, /'ssh_options'.*ProxyCommand/],
        ['proxycommand in any case', { ssh_options: 'proxyCOMMAND=/tmp/x' }, 400, /'ssh_options'.*ProxyCommand/],
        ['an option outside the allow-list', { ssh_options: ['LocalCommand=/tmp/x'] }, 400, /'ssh_options'.*StrictHostKeyChecking/],
        ['a second -o hidden in an option', { ssh_options: ['StrictHostKeyChecking=no -oProxyCommand=x'] }, 400, /'ssh_options'/],
        ['a newline in ssh_user', { ssh_user: 'root\n-oProxyCommand=x' }, 400, /'ssh_user'.*whitespace/],
        ['an option-looking ssh_user', { ssh_user: '-oProxyCommand=x' }, 400, /'ssh_user'/],
        ['a NUL in ssh_user', { ssh_user: 'root\u0000x' }, 400, /'ssh_user'/],
        ['a spaced remote forward', { ssh_remote_port_forwards: '8080:localhost:80 -oProxyCommand=x' }, 400, /'ssh_remote_port_forwards'/],
        ['a forward to port 0', { ssh_remote_port_forwards: ['0:localhost:80'] }, 400, /'ssh_remote_port_forwards'/],
        ['a scan port out of range', { ssh_scan_ports: [22, 70000] }, 400, /'ssh_scan_ports'/],
        ['a huge ssh_max_procs', { ssh_max_procs: 100000 }, 400, /'ssh_max_procs'.*1 to 100/],
        ['a string flag Python would read as true', { ssh_sudo: 'no thanks' }, 400, /'ssh_sudo'.*true or false/],
        // CVE-2021-3148: quotes in gen_thin fields.
        ['quotes in thin_extra_mods', { thin_extra_mods: "salt';touch /tmp/x;'" }, 400, /'thin_extra_mods'/],
        ['a double quote in min_extra_mods', { min_extra_mods: 'a"b' }, 400, /'min_extra_mods'/],
        ['.. in extra_filerefs', { extra_filerefs: 'salt://../../etc/shadow' }, 400, /'extra_filerefs'/],
        ['quotes in roster', { roster: "flat'" }, 400, /'roster'/],
        // Roster files stay inside the configured directories.
        ['a traversing roster_file', { roster_file: '../../etc/passwd' }, 400, /'roster_file'/],
        ['an absolute roster_file', { roster_file: '/etc/passwd' }, 400, /'roster_file'/],
        ['an unknown roster_file', { roster_file: 'missing.roster' }, 400, /'roster_file'.*rosters/],
        ['a list of roster dirs', { rosters: ['/'] }, 400, /'rosters' is not accepted/],
        ['a saltfile', { saltfile: '/tmp/Saltfile' }, 400, /'saltfile' is not accepted/],
        ['a password', { ssh_passwd: 'secret' }, 400, /'ssh_passwd' is not accepted/],
        ['a log file to write', { ssh_log_file: '/etc/cron.d/x' }, 400, /'ssh_log_file' is not accepted/],
        ['a pre-hook command', { ssh_pre_hook: 'touch /tmp/x' }, 400, /'ssh_pre_hook' is not accepted/],
        // Arguments that salt-ssh could read as its own options.
        ['an arg starting with -', { arg: ['-H'] }, 400, /'arg'.*'-'/],
        ['an arg that is --hosts', { arg: ['--hosts'] }, 400, /'arg'/],
        ['a negative number arg', { arg: [-1] }, 400, /'arg'/],
        ['a NUL in an arg', { arg: ['a\u0000b'] }, 400, /'arg'.*NUL/],
        ['a bad keyword name', { kwarg: { 'a b': 'x' } }, 400, /'kwarg'/],
        ['an option-looking target', { tgt: '-oProxyCommand=x' }, 400, /'tgt'/],
        ['a ; in the target', { tgt: 'web1;id' }, 400, /'tgt'/],
        ['a space in a target list', { tgt: ['web1', 'db1 -H'] }, 400, /'tgt'/],
        ['a target type salt-ssh lacks', { tgt_type: 'compound' }, 400, /'tgt_type'/],
        ['a shell command as fun', { fun: 'test.ping; id' }, 400, /'fun'/],
        ['a function list', { fun: ['test.ping', 'test.echo'] }, 400, /'fun'.*one function/],
        ['raw_shell without netapi_allow_raw_shell', { raw_shell: true, fun: 'id' }, 401, /Raw shell option not allowed/],
      ];
      for (const [what, fields, status, message] of attacks) {
        it(`${what} → ${status}`, async () => {
          const res = await run({ tgt: '*', fun: 'test.ping', ...fields }).expect(status);
          expect(res.body.return).to.match(message);
          expect(started()).to.deep.equal([]);
        });
      }
    });

    describe('the minion ACL of external_auth', () => {
      let limited: string;
      before(async () => {
        // /token runs the runner auth.mk_token, which this user may not: /login hands out the same kind of token.
      limited = await login(h, 'limited', 'limited');
      });

      it('runs a permitted function', async () => {
        await run({ tgt: '*', fun: 'test.ping' }, { token: limited }).expect(200);
        expect(started()).to.have.length(1);
      });

      it('checks argument restrictions of a {"*": ...} entry', async () => {
        await run({ tgt: 'web1', fun: 'test.echo', arg: ['hello'] }, { token: limited }).expect(200);
        const res = await run({ tgt: 'web1', fun: 'test.echo', arg: ['bye'] }, { token: limited }).expect(401);
        expect(res.body.return).to.equal('Authorization error occurred.');
        expect(started()).to.have.length(1);
      });

      const refused: [string, Record<string, unknown>][] = [
        ['a function the user may not run', { fun: 'cmd.run', arg: ['id'] }],
        ['a function allowed only on some minions (the API cannot expand the roster)', { tgt: 'web1', fun: 'grains.get', arg: ['os'] }],
        ['a list with one forbidden function', { fun: ['test.ping', 'cmd.run'], arg: [[], ['id']] }],
      ];
      for (const [what, fields] of refused) {
        it(`${what} → 401, salt-ssh never started`, async () => {
          const res = await run({ tgt: '*', ...fields }, { token: limited }).expect(401);
          expect(res.body.return).to.equal('Authorization error occurred.');
          expect(started()).to.deep.equal([]);
        });
      }
    });
  });

  describe('ssh client without salt-ssh', () => {
    for (const [what, command, why] of [
      ['a missing absolute path', '/nonexistent/bin/salt-ssh', 'was not found'],
      ['a command not on PATH', 'salt-ssh-not-installed-here', 'was not found'],
      ['a file that is not executable', '', 'is not executable by the API'],
    ] as const) {
      it(`${what} → 501 naming the command and the option to set`, async () => {
        const path_ = command === '' ? path.join(tmp, 'etc', 'roster') : command;
        const h = await sshHarness({ salt_ssh_path: path_ });
        try {
          const token = await saltToken(h);
          const res = await h.http.post('/run').send([{ client: 'ssh', tgt: '*', fun: 'test.ping', token }]).expect(501);
          expect(res.body.return).to.equal(
            `The ssh client needs salt-ssh, but '${path_}' ${why}. Install salt-ssh on the API host or set the 'salt_ssh_path' master option to its absolute path.`,
          );
        } finally {
          await h.close();
        }
      });
    }
  });

  describe('ssh client with netapi_allow_raw_shell', () => {
    it('passes --raw-shell and the command, still as argv items', async () => {
      const h = await sshHarness({ netapi_allow_raw_shell: true });
      try {
        const token = await saltToken(h);
        const res = await h.http
          .post('/run')
          .send([{ client: 'ssh', tgt: 'web1', fun: 'uptime', arg: ['--pretty'], raw_shell: true, token }])
          .expect(400);
        expect(res.body.return).to.match(/'arg'/);
        for (const fun of [' -oProxyCommand=x id', "'-oProxyCommand=x' id", 'id -oproxycommand=x']) {
          const refused = await h.http.post('/run').send([{ client: 'ssh', tgt: 'web1', fun, raw_shell: true, token }]).expect(400);
          expect(refused.body.return).to.match(/'fun'/);
        }
        const ok = await h.http.post('/run').send([{ client: 'ssh', tgt: 'web1', fun: 'ls -l /', raw_shell: true, token }]).expect(200);
        const web1 = ok.body.return[0].web1 as Record<string, unknown>;
        expect(web1.return).to.deep.include({ retcode: 0 });
        expect(started().map((s) => s.argv)).to.deep.equal([[...head(web1.jid as string), '--raw-shell', '--', 'web1', 'ls -l /']]);
      } finally {
        await h.close();
      }
    });
  });
});
