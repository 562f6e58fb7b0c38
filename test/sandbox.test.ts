/**
 * The sandbox master, seen from the wire only: a raw ZeroMQ REQ socket for requests and raw unix
 * sockets for the event bus, with nothing but the codec. Expected bytes and shapes come from the
 * captures of a real 3007 master (test/fixtures/captures).
 */
import { spawn } from 'node:child_process';
import { readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { load as loadYaml } from 'js-yaml';
import { BusFrameReader, frameFor, type BusFraming } from '../src/salt/busFraming.js';
import { Request } from 'zeromq';
import { frameBody, packEventFrame, packNewSpec, packOldSpec, parseEventBody, unpack } from '../src/salt/codec.js';
import type { EventFrame, SaltMap, SaltValue } from '../src/salt/types.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { RELEASE, STAMP_SOURCE } from './support/release.js';
import { seeded } from './support/fuzz.js';

const JID = /^\d{20}$/;
const STAMP = new RegExp(`^${STAMP_SOURCE}$`);
const START_TIME = /^\d{4}, [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d\.\d{6}$/;
const FINGERPRINT = /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/;
const GENERIC_FAILURE = 'Some exception handling minion payload';

/** From captures/wire-vectors.json: a real master's replies. */
const VECTORS = {
  pingReply: '82a3636d64a470696e67a568656c6c6fa5776f726c64',
  authenticationError:
    '81a56572726f7282a46e616d65b341757468656e7469636174696f6e4572726f72a76d657373616765be41757468656e7469636174696f6e206572726f72206f636375727265642e',
  /** The hand-built frame the probe fired into master_event_pull.ipc; the master republished it unchanged. */
  /** salt-versions.md T1: the mk_token capture at version 3. */
  mkTokenV3:
    '83a3656e63a5636c656172a46c6f616484a3636d64a86d6b5f746f6b656ea8757365726e616d65a773616c74646576a870617373776f7264a773616c74646576a56561757468a46175746fa776657273696f6e03',
  probeFrame:
    '82a46865616480a4626f6479c4507265616c73616c742f70726f62652f68656c6c6f0a0a84a568656c6c6fa5776f726c64a16e01a362696ec4020001a65f7374616d70ba323030302d30312d30315430303a30303a30302e303030303030',
};

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One request on a fresh REQ socket, as salt-api does; resolves to the raw reply frame. */
async function rawRequest(port: number, body: Buffer, timeoutMs = 3000): Promise<Buffer> {
  const socket = new Request({ linger: 0, receiveTimeout: timeoutMs });
  socket.connect(`tcp://127.0.0.1:${port}`);
  try {
    await socket.send(body);
    const [reply] = await socket.receive();
    return reply!;
  } finally {
    socket.close();
  }
}

function portOf(sandbox: Sandbox): number {
  return sandbox.config.ret_port as number;
}

async function call(sandbox: Sandbox, load: SaltMap, version = 3): Promise<SaltValue> {
  return unpack(await rawRequest(portOf(sandbox), packOldSpec({ enc: 'clear', load, version })));
}

function asMap(value: SaltValue | undefined): SaltMap {
  expect(value).to.be.an('object').and.not.be.an('array');
  return value as SaltMap;
}

async function login(sandbox: Sandbox, username = 'saltdev', password = username): Promise<string> {
  const record = asMap(await call(sandbox, { cmd: 'mk_token', username, password, eauth: 'auto' }));
  return record.token as string;
}

function publishLoad(token: string, fields: SaltMap): SaltMap {
  return { cmd: 'publish', tgt: '*', fun: 'test.ping', arg: [], tgt_type: 'glob', ret: '', jid: '', user: 'root', kwargs: { token }, ...fields };
}

async function publish(sandbox: Sandbox, token: string, fields: SaltMap): Promise<SaltMap> {
  return asMap(asMap(await call(sandbox, publishLoad(token, fields))).load);
}

/** A subscriber on master_event_pub.ipc collecting decoded events. */
class Bus {
  readonly events: EventFrame[] = [];
  private readonly listeners = new Set<() => void>();

  /** The framing of every frame read, in order. */
  readonly framings: BusFraming[] = [];

  private constructor(readonly socket: net.Socket) {
    const reader = new BusFrameReader((frame, framing) => {
      this.framings.push(framing);
      const body = frameBody(frame);
      const event = body && parseEventBody(body);
      if (event) this.events.push(event);
      for (const listener of this.listeners) listener();
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch {
        // A connection the master closes may end in the middle of a frame.
        socket.destroy();
      }
    });
  }

  /** Connect, and wait until the master has registered us (an event fired now reaches us). */
  static async connect(sandbox: Sandbox): Promise<Bus> {
    const socket = net.connect(join(sandbox.config.sock_dir as string, 'master_event_pub.ipc'));
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const bus = new Bus(socket);
    for (let i = 0; ; i++) {
      sandbox.fireEvent('sandbox/test/hello', { i });
      try {
        await bus.waitFor((e) => e.tag === 'sandbox/test/hello', 50);
        return bus;
      } catch {
        if (i > 40) throw new Error('event bus never delivered');
      }
    }
  }

  find(predicate: (event: EventFrame) => boolean): EventFrame | undefined {
    return this.events.find(predicate);
  }

  waitFor(predicate: (event: EventFrame) => boolean, timeoutMs = 3000): Promise<EventFrame> {
    const found = this.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const check = () => {
        const event = this.find(predicate);
        if (event) {
          cleanup();
          resolve(event);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('sandbox master', function () {
  this.timeout(10000);

  let sandbox: Sandbox;
  let bus: Bus;
  let token: string;

  before(async () => {
    sandbox = await startSandbox({
      release: RELEASE.version,
      // Small enough for the flood test below to overrun it with 12 MB.
      busBacklog: 8 * 1024 * 1024,
      users: {
        saltdev: { password: 'saltdev' },
        limited: { password: 'limited' },
        operator: { password: 'operator', groups: ['ops'] },
      },
      externalAuth: {
        auto: {
          saltdev: ['.*', '@runner', '@wheel', '@jobs'],
          limited: ['test.ping'],
          'ops%': ['@jobs', { 'minion-1': ['test.echo'] }],
        },
        pam: { saltdev: ['.*'] },
      },
      minions: { 'minion-1': {}, 'minion-2': { grains: { os: 'Ubuntu', roles: ['web', 'db'] } } },
      pendingKeys: ['pending-1'],
      authFailureDelay: 0.2,
    });
    bus = await Bus.connect(sandbox);
    token = await login(sandbox);
  });

  after(async () => {
    bus.close();
    await sandbox.stop();
  });

  describe('request channel', () => {
    it('echoes ping byte for byte like the real master, with the nonce and protocol floor of its release', async () => {
      const reply = await rawRequest(portOf(sandbox), packOldSpec({ enc: 'clear', load: { cmd: 'ping', hello: 'world' }, version: 3 }));
      expect(reply.toString('hex')).to.equal(VECTORS.pingReply);
      expect(await call(sandbox, { cmd: 'ping', nonce: 'abc' })).to.deep.equal(RELEASE.keepsNonce ? { cmd: 'ping', nonce: 'abc' } : { cmd: 'ping' });
      const floor = RELEASE.minimumAuthVersion > 0;
      expect(await call(sandbox, { cmd: 'ping', nonce: 'abc' }, 2)).to.deep.equal(floor ? 'bad load' : RELEASE.keepsNonce ? { cmd: 'ping', nonce: 'abc' } : { cmd: 'ping' });
      expect(await call(sandbox, { cmd: 'ping', nonce: 'abc' }, 1)).to.deep.equal(floor ? 'bad load' : { cmd: 'ping', nonce: 'abc' });
      // salt-versions.md vector T2: the mk_token request at version 2.
      const t2 = Buffer.from(VECTORS.mkTokenV3, 'hex');
      t2[t2.length - 1] = 2;
      const t2Reply = await rawRequest(portOf(sandbox), t2);
      if (floor) expect(t2Reply.toString('hex')).to.equal('a8626164206c6f6164');
      else expect(asMap(unpack(t2Reply)).name).to.equal('saltdev');
      expect(asMap(unpack(await rawRequest(portOf(sandbox), Buffer.from(VECTORS.mkTokenV3, 'hex')))).name).to.equal('saltdev');
    });

    it('answers malformed requests as wire.md §2.2 says', async () => {
      const port = portOf(sandbox);
      expect(unpack(await rawRequest(port, Buffer.from([0x82, 0xa1])))).to.deep.equal({ msg: 'bad load' });
      expect(unpack(await rawRequest(port, Buffer.concat([packOldSpec({ enc: 'clear', load: {} }), Buffer.from([1])])))).to.deep.equal({
        msg: 'bad load',
      });
      expect(unpack(await rawRequest(port, packOldSpec(['enc', 'load'])))).to.equal('bad load');
      expect(unpack(await rawRequest(port, packOldSpec({ enc: 'clear' })))).to.equal('bad load');
      expect(unpack(await rawRequest(port, packOldSpec({ enc: 'clear', load: 'ping', version: 3 })))).to.equal('payload and load must be a dict');
      expect(unpack(await rawRequest(port, packOldSpec({ enc: 'clear', load: 'ping' })))).to.equal(
        RELEASE.minimumAuthVersion > 0 ? 'bad load' : 'payload and load must be a dict',
      );
      // Vector T6: a load without cmd.
      expect(await call(sandbox, { hello: 'world' })).to.deep.equal(RELEASE.answersEmptyLoad ? {} : GENERIC_FAILURE);
      expect((await rawRequest(port, packOldSpec({ enc: 'clear', load: { cmd: 'no_such_cmd' }, version: 3 }))).toString('hex')).to.equal('80');
      expect(await call(sandbox, { cmd: 'ping', id: 'a\0b' })).to.equal('bad load: id contains a null byte');
      expect(await call(sandbox, { cmd: 'ping', id: 5 })).to.equal('bad load: id 5 is not a string');
    });

    it('accepts requests whose strings (keys included) are all bin, as the master does', async () => {
      const bin = (s: string) => Buffer.from(s);
      const body = packNewSpec(
        new Map<Buffer, unknown>([
          [bin('enc'), bin('clear')],
          [bin('load'), new Map([[bin('cmd'), bin('ping')], [bin('x'), bin('y')]])],
          [bin('version'), 3],
        ]),
      );
      expect(unpack(await rawRequest(portOf(sandbox), body))).to.deep.equal({ cmd: 'ping', x: 'y' });
    });

    it('records every decoded request load in order', async () => {
      const before = sandbox.requests.length;
      await call(sandbox, { cmd: 'ping', n: 1 });
      await call(sandbox, { cmd: 'ping', n: 2 });
      expect(sandbox.requests.slice(before)).to.deep.equal([
        { cmd: 'ping', n: 1 },
        { cmd: 'ping', n: 2 },
      ]);
    });

    it('serves other requests while one is held back', async () => {
      const started = Date.now();
      const failing = call(sandbox, { cmd: 'mk_token', username: 'saltdev', password: 'wrong', eauth: 'auto' }).then(() => Date.now() - started);
      const ping = call(sandbox, { cmd: 'ping' }).then(() => Date.now() - started);
      const [failedAfter, pingedAfter] = await Promise.all([failing, ping]);
      expect(failedAfter).to.be.at.least(190);
      expect(pingedAfter).to.be.below(failedAfter);
    });

    it('delays every reply by the configured reply delay', async () => {
      sandbox.setReplyDelay(0.3);
      try {
        const started = Date.now();
        expect(await call(sandbox, { cmd: 'ping' })).to.deep.equal({ cmd: 'ping' });
        expect(Date.now() - started).to.be.at.least(280);
      } finally {
        sandbox.setReplyDelay(0);
      }
    });
  });

  describe('mk_token / get_token', () => {
    it('mints a token record shaped like the capture', async () => {
      const raw = await rawRequest(portOf(sandbox), packOldSpec({ enc: 'clear', load: { cmd: 'mk_token', username: 'saltdev', password: 'saltdev', eauth: 'auto' }, version: 3 }));
      // Old-spec msgpack: the 64-char token is a str16 (da 00 40), never str8.
      expect(raw.toString('hex')).to.include('a5746f6b656eda0040');
      const record = asMap(unpack(raw));
      expect(Object.keys(record)).to.deep.equal(['start', 'expire', 'name', 'eauth', 'token']);
      expect(record).to.include({ name: 'saltdev', eauth: 'auto' });
      expect(record.token).to.match(/^[0-9a-f]{64}$/);
      expect((record.expire as number) - (record.start as number)).to.be.closeTo(43200, 1e-6);
    });

    it('adds the user groups to the record', async () => {
      const record = asMap(await call(sandbox, { cmd: 'mk_token', username: 'operator', password: 'operator', eauth: 'auto' }));
      expect(Object.keys(record)).to.deep.equal(['start', 'expire', 'name', 'eauth', 'groups', 'token']);
      expect(record.groups).to.deep.equal(['ops']);
    });

    it('ignores token_expire unless the override is configured', async () => {
      const record = asMap(await call(sandbox, { cmd: 'mk_token', username: 'saltdev', password: 'saltdev', eauth: 'auto', token_expire: 5 }));
      expect((record.expire as number) - (record.start as number)).to.be.closeTo(43200, 1e-6);
    });

    it('answers "" to every failed login, after the failure delay', async () => {
      const port = portOf(sandbox);
      for (const load of [
        { cmd: 'mk_token', username: 'saltdev', password: 'wrong', eauth: 'auto' },
        { cmd: 'mk_token', username: 'saltdev', password: 'saltdev', eauth: 'sharedsecret' },
        { cmd: 'mk_token', username: 'saltdev', password: 'saltdev' },
      ]) {
        const started = Date.now();
        const reply = await rawRequest(port, packOldSpec({ enc: 'clear', load, version: 3 }));
        expect(reply.toString('hex')).to.equal('a0');
        expect(Date.now() - started).to.be.at.least(190);
      }
    });

    it('looks tokens up: the record, {} when unknown or not lowercase hex, false without a token', async () => {
      const record = await call(sandbox, { cmd: 'mk_token', username: 'saltdev', password: 'saltdev', eauth: 'auto' });
      const tok = asMap(record).token as string;
      expect(await call(sandbox, { cmd: 'get_token', token: tok })).to.deep.equal(record);
      expect(await call(sandbox, { cmd: 'get_token', token: 'f'.repeat(64) })).to.deep.equal({});
      expect(await call(sandbox, { cmd: 'get_token', token: tok.toUpperCase() })).to.deep.equal({});
      expect(await call(sandbox, { cmd: 'get_token', token: '../../etc/passwd' })).to.deep.equal({});
      expect(await call(sandbox, { cmd: 'get_token', token: 42 })).to.deep.equal({});
      expect(await call(sandbox, { cmd: 'get_token' })).to.equal(false);
    });

    it('honours token_expire with the override and forgets expired tokens', async () => {
      const short = await startSandbox({ release: RELEASE.version, tokenExpireUserOverride: true });
      try {
        const record = asMap(await call(short, { cmd: 'mk_token', username: 'saltdev', password: 'saltdev', eauth: 'pam', token_expire: 0.15 }));
        expect((record.expire as number) - (record.start as number)).to.be.closeTo(0.15, 1e-6);
        expect(asMap(await call(short, { cmd: 'get_token', token: record.token! })).name).to.equal('saltdev');
        await sleep(200);
        expect(await call(short, { cmd: 'get_token', token: record.token! })).to.deep.equal({});
        expect(short.config.token_expire_user_override).to.equal(true);
      } finally {
        await short.stop();
      }
    });
  });

  describe('publish', () => {
    it('refuses a token at the top level of the load, byte for byte like the master', async () => {
      const load = { cmd: 'publish', tgt: '*', fun: 'test.ping', arg: [], tgt_type: 'glob', ret: '', jid: '', token, user: 'saltdev' };
      const reply = await rawRequest(portOf(sandbox), packOldSpec({ enc: 'clear', load, version: 3 }));
      expect(reply.toString('hex')).to.equal(VECTORS.authenticationError);
    });

    it('refuses bad credentials in kwargs and needs the user field', async () => {
      const authError = { error: { name: 'AuthenticationError', message: 'Authentication error occurred.' } };
      expect(await call(sandbox, publishLoad('0'.repeat(64), {}))).to.deep.equal(authError);
      expect(await call(sandbox, publishLoad(token, { kwargs: { eauth: 'auto', username: 'saltdev', password: 'x' } }))).to.deep.equal(authError);
      expect(await call(sandbox, publishLoad(token, { kwargs: {} }))).to.deep.equal(authError);
      const { user: _user, ...withoutUser } = publishLoad(token, {});
      expect(await call(sandbox, withoutUser)).to.equal(GENERIC_FAILURE);
    });

    it('replies with the jid, then fires the job events of its release and one ret per minion', async () => {
      const reply = asMap(await call(sandbox, publishLoad(token, {})));
      const seenAtReply = bus.events.length;
      expect(reply.enc).to.equal('clear');
      const load = asMap(reply.load);
      expect(Object.keys(load)).to.deep.equal(['jid', 'minions', 'missing']);
      expect(load.jid).to.match(JID);
      expect(load).to.deep.include({ minions: ['minion-1', 'minion-2'], missing: [] });
      const jid = load.jid as string;

      await bus.waitFor((e) => e.tag === `salt/job/${jid}/ret/minion-1`);
      await bus.waitFor((e) => e.tag === `salt/job/${jid}/ret/minion-2`);
      const jobEvents = bus.events.filter((e) => e.tag === jid || e.tag.startsWith(`salt/job/${jid}/`));
      // salt-versions.md §3, §4: no bare <jid> event from 3008, no publish event in 3006.
      const announced = [...(RELEASE.bareJidEvent ? [jid] : []), `salt/job/${jid}/new`, ...(RELEASE.publishEvent ? [`salt/job/${jid}/publish`] : [])];
      expect(jobEvents.map((e) => e.tag).slice(0, announced.length)).to.deep.equal(announced);
      expect(jobEvents[announced.length]?.tag).to.match(/\/ret\//);
      const firstRet = bus.events.findIndex((e) => e.tag.startsWith(`salt/job/${jid}/ret/`));
      expect(firstRet).to.be.at.least(seenAtReply);

      const announce = RELEASE.bareJidEvent ? jobEvents.shift() : undefined;
      // The tags checked above put both there.
      const [created, published] = jobEvents as [EventFrame, EventFrame];
      if (announce) {
        expect(announce.data).to.have.keys('minions', '_stamp');
        expect(announce.data._stamp).to.match(STAMP);
      }
      expect(created.data._stamp).to.match(STAMP);
      const { _stamp: _created, ...createdData } = created.data;
      expect(createdData).to.deep.equal({
        jid,
        tgt_type: 'glob',
        tgt: '*',
        user: 'saltdev',
        fun: 'test.ping',
        arg: [],
        minions: ['minion-1', 'minion-2'],
        missing: [],
      });
      if (RELEASE.publishEvent) expect(Object.keys(published.data)).to.deep.equal(['fun', 'arg', 'tgt', 'jid', 'ret', 'tgt_type', 'user', '_stamp']);
      expect(bus.framings.every((framing) => framing === RELEASE.publishFraming)).to.equal(true);
      const ret = bus.find((e) => e.tag === `salt/job/${jid}/ret/minion-1`) as EventFrame;
      expect(Object.keys(ret.data)).to.deep.equal(['cmd', 'id', 'success', 'return', 'retcode', 'jid', 'fun', 'fun_args', 'user', '_stamp']);
      expect(ret.data).to.include({ cmd: '_return', id: 'minion-1', success: true, return: true, retcode: 0, jid, fun: 'test.ping', user: 'saltdev' });
    });

    it('runs the job with eauth credentials in kwargs and reports the eauth user', async () => {
      const load = await publish(sandbox, token, { tgt: 'minion-2', fun: 'test.echo', arg: ['via-eauth'], kwargs: { eauth: 'pam', username: 'saltdev', password: 'saltdev' } });
      const ret = await bus.waitFor((e) => e.tag === `salt/job/${load.jid as string}/ret/minion-2`);
      expect(ret.data).to.include({ return: 'via-eauth', user: 'saltdev' });
    });

    it('reports list targets without a key as missing, and unmatched targets as an error', async () => {
      expect(await publish(sandbox, token, { tgt: 'minion-1,ghost', tgt_type: 'list' })).to.deep.include({ minions: ['minion-1'], missing: ['ghost'] });
      expect(await call(sandbox, publishLoad(token, { tgt: 'nomatch*' }))).to.deep.equal({
        enc: 'clear',
        load: { jid: null, minions: [], error: 'Master could not resolve minions for target nomatch*' },
      });
    });

    it('honours a caller-supplied jid', async () => {
      const load = await publish(sandbox, token, { jid: '20250101000000000001', tgt: 'minion-1' });
      expect(load.jid).to.equal('20250101000000000001');
      await bus.waitFor((e) => e.tag === 'salt/job/20250101000000000001/ret/minion-1');
    });

    it('resolves glob, pcre, list, grain, grain_pcre and compound targets', async () => {
      const cases: [SaltValue, string, string[]][] = [
        ['minion-[12]', 'glob', ['minion-1', 'minion-2']],
        ['minion-?', 'glob', ['minion-1', 'minion-2']],
        ['minion-[!1]', 'glob', ['minion-2']],
        ['minion-\\d', 'pcre', ['minion-1', 'minion-2']],
        ['inion', 'pcre', []],
        [['minion-2', 'minion-1'], 'list', ['minion-2', 'minion-1']],
        ['os:ubuntu', 'grain', ['minion-2']],
        ['roles:db', 'grain', ['minion-2']],
        ['os:(Deb|Ubu)', 'grain_pcre', ['minion-1', 'minion-2']],
        ['G@os:Debian or E@minion-2', 'compound', ['minion-1', 'minion-2']],
        ['* and not G@os:Ubuntu', 'compound', ['minion-1']],
        ['( minion-1 or L@minion-2 ) and not minion-1', 'compound', ['minion-2']],
        ['not minion-1', 'compound', ['minion-2']],
        ['minion-1 minion-2', 'compound', []],
      ];
      for (const [tgt, tgtType, expected] of cases) {
        const reply = asMap(asMap(await call(sandbox, publishLoad(token, { tgt, tgt_type: tgtType }))).load);
        expect(reply.minions, `${tgtType} ${JSON.stringify(tgt)}`).to.deep.equal(expected);
      }
    });

    it('authorises by ACL, always allows find_job, and allows a compound job if any function is allowed', async () => {
      const limited = await login(sandbox, 'limited');
      const authzError = { error: { name: 'AuthorizationError', message: 'Authorization error occurred.' } };
      expect(await call(sandbox, publishLoad(limited, { fun: 'cmd.run', arg: ['id'] }))).to.deep.equal(authzError);
      expect(asMap(await call(sandbox, publishLoad(limited, { fun: 'test.ping_master' }))).enc).to.equal('clear');
      expect(asMap(await call(sandbox, publishLoad(limited, { fun: 'saltutil.find_job', arg: ['1'] }))).enc).to.equal('clear');

      // The master's weakness, reproduced on purpose: the API is the one that must refuse this.
      const load = await publish(sandbox, limited, { tgt: 'minion-1', fun: ['test.ping', 'cmd.run'], arg: [[], ['id']] });
      const ret = await bus.waitFor((e) => e.tag === `salt/job/${load.jid as string}/ret/minion-1`);
      expect(ret.data.return).to.deep.equal({ 'test.ping': true, 'cmd.run': 'simulated: id' });
      expect(ret.data.retcode).to.deep.equal({ 'test.ping': 0, 'cmd.run': 0 });
      expect(sandbox.executed.filter((e) => e.jid === load.jid).map((e) => e.fun)).to.deep.equal(['test.ping', 'cmd.run']);
    });

    it('checks target-restricted ACL entries of group members', async () => {
      const operator = await login(sandbox, 'operator');
      expect(asMap(await call(sandbox, publishLoad(operator, { tgt: 'minion-1', fun: 'test.echo', arg: ['x'] }))).enc).to.equal('clear');
      expect(asMap(await call(sandbox, publishLoad(operator, { tgt: '*', fun: 'test.echo', arg: ['x'] }))).error).to.deep.include({
        name: 'AuthorizationError',
      });
    });

    it('passes args like a minion: name=value and __kwarg__ become kwargs, plus __pub_ data', async () => {
      const load = await publish(sandbox, token, { tgt: 'minion-1', fun: 'test.arg', arg: ['a', 1, 'n=5', { __kwarg__: true, k: 'v' }] });
      const ret = await bus.waitFor((e) => e.tag === `salt/job/${load.jid as string}/ret/minion-1`);
      const value = asMap(ret.data.return);
      expect(value.args).to.deep.equal(['a', 1]);
      expect(value.kwargs).to.deep.include({ n: 5, k: 'v', __pub_fun: 'test.arg', __pub_jid: load.jid, __pub_tgt: 'minion-1', __pub_user: 'saltdev' });
    });

    it('simulates execution functions and fails unknown ones like a minion', async () => {
      const runs: [string, SaltValue[], (ret: SaltMap) => void][] = [
        ['cmd.run', ['rm -rf /'], (r) => expect(r).to.include({ return: 'simulated: rm -rf /', out: 'txt', success: true })],
        ['grains.get', ['os'], (r) => expect(r.return).to.equal('Debian')],
        ['grains.get', ['locale_info:timezone'], (r) => expect(r.return).to.equal('UTC')],
        ['grains.items', [], (r) => expect(asMap(r.return)).to.include({ id: 'minion-1', os_family: 'Debian', saltversion: '3007.0' })],
        ['test.fib', [10], (r) => expect((r.return as SaltValue[])[0]).to.deep.equal([0, 1, 1, 2, 3, 5, 8])],
        ['test.version', [], (r) => expect(r.return).to.equal('3007.0')],
        ['sys.list_functions', ['test'], (r) => expect(r.return).to.include.members(['test.ping', 'test.arg'])],
        ['x.y', [], (r) => expect(r).to.include({ return: "'x.y' is not available.", retcode: 1, success: false })],
        ['test.echo', [], (r) => expect(r.return).to.match(/^Passed invalid arguments to test.echo: echo\(\) missing 1 required positional argument: 'text'/)],
        ['test.ping', ['bogus=1'], (r) => expect(r.return).to.equal("ERROR executing 'test.ping': The following keyword arguments are not valid: bogus=1")],
      ];
      for (const [fun, arg, check] of runs) {
        const load = await publish(sandbox, token, { tgt: 'minion-1', fun, arg });
        check((await bus.waitFor((e) => e.tag === `salt/job/${load.jid as string}/ret/minion-1`)).data);
      }
    });
  });

  describe('runner', () => {
    it('replies {tag, jid} at once and delivers the result as events', async () => {
      const reply = asMap(await call(sandbox, { cmd: 'runner', fun: 'test.arg', token, kwarg: { arg: ['a'], kwarg: { z: 1 } } }));
      expect(Object.keys(reply)).to.deep.equal(['tag', 'jid']);
      expect(reply.jid).to.match(JID);
      expect(reply.tag).to.equal(`salt/run/${reply.jid as string}`);
      const created = await bus.waitFor((e) => e.tag === `${reply.tag as string}/new`);
      expect(created.data).to.include({ fun: 'runner.test.arg', jid: reply.jid, user: 'saltdev' });
      expect(created.data.fun_args).to.deep.equal(['a', { z: 1 }]);
      const ret = await bus.waitFor((e) => e.tag === `${reply.tag as string}/ret`);
      expect(Object.keys(ret.data)).to.deep.equal(['fun', 'jid', 'user', 'fun_args', '_stamp', 'return', 'success']);
      expect(ret.data).to.deep.include({ return: { args: ['a'], kwargs: { z: 1 } }, success: true });
    });

    async function runner(fun: string, kwarg: SaltMap, credentials: SaltMap = { token }): Promise<SaltMap> {
      const reply = asMap(await call(sandbox, { cmd: 'runner', fun, kwarg, ...credentials }));
      return (await bus.waitFor((e) => e.tag === `salt/run/${reply.jid as string}/ret`)).data;
    }

    it('serves the jobs runners from the job cache', async () => {
      const load = await publish(sandbox, token, { tgt: 'minion-*', fun: 'test.echo', arg: ['hi'] });
      const jid = load.jid as string;
      await bus.waitFor((e) => e.tag === `salt/job/${jid}/ret/minion-2`);
      await bus.waitFor((e) => e.tag === `salt/job/${jid}/ret/minion-1`);

      const listed = asMap((await runner('jobs.list_job', { arg: [jid], kwarg: {} })).return);
      expect(Object.keys(listed)).to.deep.equal(['jid', 'Function', 'Arguments', 'Target', 'Target-type', 'User', 'Minions', 'StartTime', 'Result']);
      expect(listed).to.deep.include({ jid, Function: 'test.echo', Arguments: ['hi'], Target: 'minion-*', 'Target-type': 'glob', User: 'saltdev' });
      expect(listed.Minions).to.deep.equal(['minion-1', 'minion-2']);
      expect(listed.StartTime).to.match(START_TIME);
      expect(asMap(listed.Result)['minion-1']).to.deep.equal({ return: 'hi', retcode: 0, success: true });

      // The flat kwarg form is matched to the runner's signature.
      expect((await runner('jobs.lookup_jid', { jid })).return).to.deep.equal({ 'minion-2': 'hi', 'minion-1': 'hi' });
      const jobs = asMap((await runner('jobs.list_jobs', {})).return);
      expect(asMap(jobs[jid])).to.deep.equal({ Function: 'test.echo', Arguments: ['hi'], Target: 'minion-*', 'Target-type': 'glob', User: 'saltdev', StartTime: listed.StartTime });
      expect((await runner('jobs.list_job', { jid: '20000101000000000000' })).return).to.deep.equal({
        jid: '20000101000000000000',
        Error: 'Cannot contact returner or no job with this jid',
        StartTime: '2000, Jan 01 00:00:00.000000',
        Result: {},
      });
    });

    it('caches runner jobs under the master id', async () => {
      const done = await runner('test.arg', { arg: [], kwarg: {} });
      const job = asMap((await runner('jobs.list_job', { jid: done.jid! })).return);
      expect(job).to.deep.include({ Function: 'runner.test.arg', Arguments: [], 'Target-type': 'list', User: 'saltdev' });
      expect(asMap(asMap(job.Result)[job.Target as string]).return).to.deep.include({ fun: 'runner.test.arg', success: true });
    });

    it('refuses bad credentials, bad syntax and unauthorised users with the master errors', async () => {
      expect(await call(sandbox, { cmd: 'runner', fun: 'test.arg', token: 'f'.repeat(64) })).to.deep.equal({
        error: { name: 'TokenAuthenticationError', message: 'Authentication failure of type "token" occurred.' },
      });
      expect(await call(sandbox, { cmd: 'runner', fun: 'test.arg', eauth: 'auto', username: 'saltdev', password: 'x' })).to.deep.equal({
        error: { name: 'EauthAuthenticationError', message: 'Authentication failure of type "eauth" occurred for user saltdev.' },
      });
      expect(await call(sandbox, { cmd: 'runner', fun: 'test.arg' })).to.deep.equal({
        error: { name: 'UserAuthenticationError', message: 'Authentication failure of type "user" occurred' },
      });
      expect(await call(sandbox, { cmd: 'runner', fun: 'x', token })).to.deep.equal({
        error: { name: 'SaltInvocationError', message: 'A command invocation error occurred: Check syntax.' },
      });
      const limited = await login(sandbox, 'limited');
      expect(await call(sandbox, { cmd: 'runner', fun: 'test.arg', token: limited })).to.deep.equal({
        error: { name: 'TokenAuthenticationError', message: 'Authentication failure of type "token" occurred for user limited.' },
      });
      const operator = await login(sandbox, 'operator');
      expect(asMap(await call(sandbox, { cmd: 'runner', fun: 'jobs.list_jobs', token: operator })).tag).to.match(/^salt\/run\//);
      expect(asMap(await call(sandbox, { cmd: 'runner', fun: 'manage.status', token: operator })).error).to.deep.include({ name: 'TokenAuthenticationError' });
    });

    it('fails unknown runner functions in the ret event', async () => {
      const ret = await runner('nope.nothing', {});
      expect(ret).to.include({ success: false, retcode: 1 });
      expect(ret.return).to.match(/^Exception occurred in runner nope\.nothing: /);
    });

    it('mints and deletes tokens through the auth runner', async () => {
      const minted = await runner('auth.mk_token', { arg: [], kwarg: { username: 'saltdev', password: 'saltdev', eauth: 'auto' } }, { eauth: 'auto', username: 'saltdev', password: 'saltdev' });
      const record = asMap(minted.return);
      expect(Object.keys(record)).to.deep.equal(['start', 'expire', 'name', 'eauth', 'token']);
      expect((await runner('auth.del_token', { token: record.token! })).return).to.equal(true);
      expect(await call(sandbox, { cmd: 'get_token', token: record.token! })).to.deep.equal({});
      expect((await runner('auth.del_token', { token: record.token! })).return).to.equal(false);
    });
  });

  describe('wheel', () => {
    async function wheel(load: SaltMap): Promise<SaltMap> {
      return asMap(await call(sandbox, { cmd: 'wheel', token, ...load }));
    }

    it('answers synchronously with the whole event data, like the capture', async () => {
      const reply = await wheel({ fun: 'key.list_all', client: 'wheel' });
      const data = asMap(reply.data);
      // salt-versions.md §6: from 3008 the reply's data is not an event, so it has no _stamp.
      expect(Object.keys(data)).to.deep.equal(['fun', 'jid', 'tag', 'user', ...(RELEASE.wheelPicksJid ? [] : ['_stamp']), 'return', 'success']);
      expect(reply.tag).to.equal(`salt/wheel/${data.jid as string}`);
      expect(data).to.deep.include({
        fun: 'wheel.key.list_all',
        user: 'saltdev',
        success: true,
        return: { minions: ['minion-1', 'minion-2'], minions_pre: ['pending-1'], minions_rejected: [], minions_denied: [], local: ['master.pem', 'master.pub'] },
      });
      await bus.waitFor((e) => e.tag === `salt/wheel/${data.jid as string}/ret`);
      expect(bus.find((e) => e.tag === `salt/wheel/${data.jid as string}/new`)).to.not.equal(undefined);
    });

    it('runs under the caller\'s __jid__ before 3008, under one jid of its own from 3008 (vector T5)', async () => {
      const callerJid = '20260101000000000001';
      const before = bus.events.length;
      const reply = await wheel({ fun: 'key.list_all', __jid__: callerJid, __tag__: `salt/wheel/${callerJid}`, __user__: 'UNKNOWN' });
      const jid = asMap(reply.data).jid as string;
      const runJid = RELEASE.wheelPicksJid ? jid : callerJid;
      await bus.waitFor((e) => e.tag === `salt/wheel/${runJid}/ret`);
      const wheelTags = bus.events.slice(before).map((e) => e.tag).filter((tag) => tag.startsWith('salt/wheel/'));
      const ret = bus.find((e) => e.tag === `salt/wheel/${runJid}/ret`)?.data;
      if (RELEASE.wheelPicksJid) {
        expect(jid).to.not.equal(callerJid);
        expect(wheelTags).to.deep.equal([`salt/wheel/${jid}/new`, `salt/wheel/${jid}/ret`]);
        expect(ret).to.include({ fun: 'wheel.key.list_all', jid, user: 'saltdev', success: true });
      } else {
        expect(ret).to.include({ fun: 'wheel.key.list_all', jid: callerJid, user: 'UNKNOWN', success: true });
        expect(bus.find((e) => e.tag === `salt/wheel/${callerJid}/new`)?.data).to.include({ user: 'UNKNOWN' });
        await bus.waitFor((e) => e.tag === `salt/wheel/${jid}/ret`);
        expect(wheelTags).to.have.members([`salt/wheel/${jid}/new`, `salt/wheel/${callerJid}/new`, `salt/wheel/${callerJid}/ret`, `salt/wheel/${jid}/ret`]);
      }
    });

    it('fingerprints keys stably, grouped by key state', async () => {
      const first = asMap(asMap((await wheel({ fun: 'key.finger', match: 'minion-1' })).data).return);
      const again = asMap(asMap((await wheel({ fun: 'key.finger', match: 'minion-1' })).data).return);
      expect(first).to.deep.equal(again);
      expect(asMap(first.minions)['minion-1']).to.match(FINGERPRINT);
      expect(Object.keys(asMap(asMap((await wheel({ fun: 'key.finger', match: 'pending-*' })).data).return))).to.deep.equal(['minions_pre']);
      expect(asMap((await wheel({ fun: 'key.finger', match: 'ghost' })).data).return).to.deep.equal({});
    });

    it('fails on keywords the function does not take, ignoring the client keywords', async () => {
      const data = asMap((await wheel({ fun: 'key.list_all', timeout: 5, kwarg: { x: 1 } })).data);
      expect(data.success).to.equal(false);
      expect(data.return).to.equal("Exception occurred in wheel key.list_all: TypeError: list_all() got an unexpected keyword argument 'timeout'");
      expect(asMap((await wheel({ fun: 'key.list_all', kwarg: { x: 1 }, print_event: false })).data).success).to.equal(true);
    });

    it('generates, accepts and refuses keys, and never leaves the key directory', async () => {
      const generated = asMap(asMap((await wheel({ fun: 'key.gen_accept', id_: 'gen-1' })).data).return);
      expect(generated.pub).to.match(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
      expect(generated.priv).to.match(/^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+-----END RSA PRIVATE KEY-----\n$/);
      expect(asMap(asMap((await wheel({ fun: 'key.gen_accept', id_: 'gen-1' })).data).return)).to.deep.equal({});
      expect(asMap(asMap((await wheel({ fun: 'key.gen_accept', id_: 'gen-1', force: true })).data).return).pub).to.not.equal(generated.pub);

      const traversal = asMap((await wheel({ fun: 'key.gen_accept', id_: '../../etc/cron.d/x' })).data);
      expect(traversal.success).to.equal(false);
      expect(asMap((await wheel({ fun: 'pillar_roots.write', data: 'x', path: '../../etc/cron.d/x' })).data).return).to.equal('Invalid path');
      expect(asMap((await wheel({ fun: 'file_roots.write', data: 'x', path: '/etc/passwd' })).data).return).to.equal(
        'The path passed in /etc/passwd is not relative to the environment base',
      );

      // A generated key has no minion behind it: it is targeted but never answers.
      expect(asMap(asMap((await wheel({ fun: 'key.list_all' })).data).return).minions).to.deep.equal(['gen-1', 'minion-1', 'minion-2']);
      expect(asMap(asMap((await wheel({ fun: 'minions.connected' })).data)).return).to.deep.equal(['minion-1', 'minion-2']);
      const deleted = asMap((await wheel({ fun: 'key.delete', match: 'gen-1' })).data);
      expect(deleted.return).to.deep.equal({});
      expect((await bus.waitFor((e) => e.tag === 'salt/key' && e.data.id === 'gen-1' && e.data.act === 'delete')).data).to.include({ result: true });
    });

    it('accepts a pending key, after which that minion answers', async () => {
      const accepted = asMap((await wheel({ fun: 'key.accept', match: 'pending-1' })).data);
      expect(accepted.return).to.deep.equal({ minions: ['pending-1'] });
      await bus.waitFor((e) => e.tag === 'salt/key' && e.data.id === 'pending-1' && e.data.act === 'accept');
      const load = await publish(sandbox, token, { tgt: 'pending-1' });
      await bus.waitFor((e) => e.tag === `salt/job/${load.jid as string}/ret/pending-1`);
      await wheel({ fun: 'key.reject', match: 'pending-1', include_accepted: true });
      expect(asMap(asMap((await wheel({ fun: 'key.list_all' })).data).return).minions_rejected).to.deep.equal(['pending-1']);
    });
  });

  describe('event bus', () => {
    it('creates its sockets with mode 0600; with 3008 worker pools workers.ipc is a plain file', async () => {
      for (const name of ['master_event_pub.ipc', 'master_event_pull.ipc', 'workers.ipc']) {
        const info = await stat(join(sandbox.config.sock_dir as string, name));
        const plainFile = name === 'workers.ipc' && RELEASE.workerPools;
        expect(info.isSocket(), name).to.equal(!plainFile);
        expect(info.isFile(), name).to.equal(plainFile);
        expect(info.mode & 0o777, name).to.equal(0o600);
      }
    });

    it('republishes a fired frame byte for byte, drops non-bin bodies and hangs up on garbage', async () => {
      const raw = net.connect(join(sandbox.config.sock_dir as string, 'master_event_pub.ipc'));
      const chunks: Buffer[] = [];
      raw.on('data', (chunk: Buffer) => chunks.push(chunk));
      await new Promise((resolve) => raw.once('connect', resolve));
      await Bus.connect(sandbox).then((b) => b.close());
      await sleep(20);
      chunks.length = 0;

      const firer = net.connect(join(sandbox.config.sock_dir as string, 'master_event_pull.ipc'));
      await new Promise((resolve) => firer.once('connect', resolve));
      firer.write(frameFor(packNewSpec({ head: {}, body: 'sandbox/text-body\n\n\x80' }), RELEASE.pullFraming));
      const probe = Buffer.from(VECTORS.probeFrame, 'hex');
      firer.write(frameFor(probe, RELEASE.pullFraming));
      await bus.waitFor((e) => e.tag === 'realsalt/probe/hello');
      await sleep(20);
      expect(Buffer.concat(chunks).equals(frameFor(probe, RELEASE.publishFraming))).to.equal(true);
      expect(bus.find((e) => e.tag === 'sandbox/text-body')).to.equal(undefined);

      const closed = new Promise((resolve) => firer.once('close', resolve));
      firer.write(frameFor(Buffer.from([0xc1]), RELEASE.pullFraming));
      await closed;
      raw.destroy();
    });

    it('loses a frame in the other framing without a word, as its release does (salt-versions.md §2)', async () => {
      const wrong = RELEASE.pullFraming === 'plain' ? 'prefixed' : 'plain';
      const firer = net.connect(join(sandbox.config.sock_dir as string, 'master_event_pull.ipc'));
      await new Promise((resolve) => firer.once('connect', resolve));
      const closed = new Promise((resolve) => firer.once('close', resolve));
      firer.write(frameFor(packEventFrame({ tag: 'sandbox/test/misframed', data: {} }), wrong));
      // A plain master drops the connection; a prefixed one waits for a ~2 GB frame, so an event
      // written after it is lost too.
      if (wrong === 'prefixed') await closed;
      else firer.write(frameFor(packEventFrame({ tag: 'sandbox/test/misframed', data: {} }), 'prefixed'));
      sandbox.fireEvent('sandbox/test/after-misframed', {});
      await bus.waitFor((e) => e.tag === 'sandbox/test/after-misframed');
      expect(bus.find((e) => e.tag === 'sandbox/test/misframed')).to.equal(undefined);
      firer.destroy();
    });

    it('stamps events fired through the sandbox', async () => {
      sandbox.fireEvent('sandbox/test/stamped', { a: 1 });
      const event = await bus.waitFor((e) => e.tag === 'sandbox/test/stamped');
      expect(Object.keys(event.data)).to.deep.equal(['a', '_stamp']);
      expect(event.data._stamp).to.match(STAMP);
    });

    it('drops a subscriber that stops reading instead of buffering without bound', async () => {
      const lazy = net.connect(join(sandbox.config.sock_dir as string, 'master_event_pub.ipc'));
      await new Promise((resolve) => lazy.once('connect', resolve));
      await sleep(20);
      lazy.pause();
      const closed = new Promise((resolve) => lazy.once('close', resolve));
      // 12 MB in bursts of 1 MB: a subscriber that reads keeps up, the paused one falls behind.
      const payload = 'x'.repeat(256 * 1024);
      for (let i = 0; i < 48; i++) {
        sandbox.fireEvent('sandbox/test/flood', { payload });
        if (i % 4 === 3) await sleep(20);
      }
      lazy.resume();
      await closed;
      sandbox.fireEvent('sandbox/test/after-flood', {});
      await bus.waitFor((e) => e.tag === 'sandbox/test/after-flood');
    });
  });
});

describe('sandbox minions', function () {
  this.timeout(10000);

  let sandbox: Sandbox;
  let bus: Bus;
  let token: string;

  before(async () => {
    sandbox = await startSandbox({ release: RELEASE.version, minions: { fast: {}, slow: { delay: 0.6 }, dead: { down: true } } });
    bus = await Bus.connect(sandbox);
    token = await login(sandbox);
  });

  after(async () => {
    bus.close();
    await sandbox.stop();
  });

  it('targets a down minion but never hears from it; a slow one answers late and find_job sees it running', async () => {
    const load = await publish(sandbox, token, { fun: 'test.ping' });
    const jid = load.jid as string;
    expect(load.minions).to.deep.equal(['dead', 'fast', 'slow']);
    await bus.waitFor((e) => e.tag === `salt/job/${jid}/ret/fast`, 500);
    expect(bus.find((e) => e.tag === `salt/job/${jid}/ret/slow`)).to.equal(undefined);

    const finder = await publish(sandbox, token, { tgt: ['slow', 'dead'], tgt_type: 'list', fun: 'saltutil.find_job', arg: [jid] });
    const found = await bus.waitFor((e) => e.tag === `salt/job/${finder.jid as string}/ret/slow`, 300);
    expect(found.data.return).to.deep.include({ jid, fun: 'test.ping', tgt: '*', tgt_type: 'glob', user: 'saltdev' });
    expect(asMap(found.data.return).pid).to.be.a('number');

    await bus.waitFor((e) => e.tag === `salt/job/${jid}/ret/slow`, 1500);
    const notRunning = await publish(sandbox, token, { tgt: 'slow', fun: 'saltutil.find_job', arg: [jid] });
    expect((await bus.waitFor((e) => e.tag === `salt/job/${notRunning.jid as string}/ret/slow`)).data.return).to.deep.equal({});

    expect(bus.find((e) => e.tag.endsWith('/ret/dead'))).to.equal(undefined);
    expect(sandbox.executed.some((e) => e.minion === 'dead')).to.equal(false);
  });

  it('reports minion states through manage.status and follows setMinion', async () => {
    const status = async () => {
      const reply = asMap(await call(sandbox, { cmd: 'runner', fun: 'manage.status', token, kwarg: { arg: [], kwarg: {} } }));
      return (await bus.waitFor((e) => e.tag === `salt/run/${reply.jid as string}/ret`)).data.return;
    };
    expect(await status()).to.deep.equal({ up: ['fast', 'slow'], down: ['dead'] });
    sandbox.setMinion('dead', {});
    sandbox.setMinion('fast', { down: true });
    expect(await status()).to.deep.equal({ up: ['dead', 'slow'], down: ['fast'] });
    const load = await publish(sandbox, token, { tgt: 'dead' });
    await bus.waitFor((e) => e.tag === `salt/job/${load.jid as string}/ret/dead`);
  });
});

describe('sandbox robustness', function () {
  this.timeout(20000);

  it('answers every request, however malformed, and keeps serving', async () => {
    const sandbox = await startSandbox({ release: RELEASE.version, authFailureDelay: 0, pendingKeys: ['pending-1'] });
    try {
      const port = portOf(sandbox);
      const token = await login(sandbox);
      const value = fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.constantFrom('*', 'minion-1', 'minion-1,ghost', 'G@os:Debian and not ( E@x )', 'glob', 'list', 'compound', 'grain', 'pcre'),
        fc.constantFrom('test.ping', 'test.arg', 'cmd.run', 'jobs.list_job', 'key.finger', 'key.accept', 'auth.del_token', 'x'),
        fc.constantFrom({ token }, { eauth: 'auto', username: 'saltdev', password: 'saltdev' }, [['a=1'], []], ['n=5', { __kwarg__: true }]),
      );
      const keys = ['tgt', 'fun', 'arg', 'tgt_type', 'ret', 'jid', 'user', 'kwargs', 'kwarg', 'token', 'eauth', 'username', 'password', 'match', 'id', 'nonce'];
      const load = fc.record({
        cmd: fc.oneof(fc.constantFrom('ping', 'publish', 'runner', 'wheel', 'mk_token', 'get_token', '_auth'), fc.jsonValue({ maxDepth: 1 })),
        rest: fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 8 }),
      });
      const request = fc.oneof(
        load.map(({ cmd, rest }) => packOldSpec({ enc: 'clear', load: { ...rest, cmd }, version: 3 })),
        fc.jsonValue({ maxDepth: 2 }).map((payload) => packOldSpec(payload)),
        fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
      );
      await fc.assert(
        fc.asyncProperty(request, async (body) => {
          const reply = await rawRequest(port, body, 3000);
          expect(reply.length).to.be.greaterThan(0);
        }),
        seeded(300),
      );
      expect(await call(sandbox, { cmd: 'ping' })).to.deep.equal({ cmd: 'ping' });
    } finally {
      await sandbox.stop();
    }
  });
});

describe('sandbox master restart', function () {
  this.timeout(10000);

  it('stops answering when stopped and comes back on the same port and paths, state kept', async () => {
    const sandbox = await startSandbox({ release: RELEASE.version });
    try {
      const port = portOf(sandbox);
      const pubPath = join(sandbox.config.sock_dir as string, 'master_event_pub.ipc');
      const token = await login(sandbox);
      const bus = await Bus.connect(sandbox);
      const busClosed = new Promise((resolve) => bus.socket.once('close', resolve));

      await sandbox.stopMaster();
      await busClosed;
      let error: unknown;
      try {
        await rawRequest(port, packOldSpec({ enc: 'clear', load: { cmd: 'ping' }, version: 3 }), 300);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(Error);
      let missing: unknown;
      await stat(pubPath).catch((e: unknown) => {
        missing = e;
      });
      expect(missing).to.have.property('code', 'ENOENT');

      await sandbox.startMaster();
      expect(portOf(sandbox)).to.equal(port);
      expect(await call(sandbox, { cmd: 'ping' })).to.deep.equal({ cmd: 'ping' });
      expect((await stat(pubPath)).isSocket()).to.equal(true);
      expect(asMap(await call(sandbox, { cmd: 'get_token', token })).token).to.equal(token);
      const again = await Bus.connect(sandbox);
      again.close();
    } finally {
      await sandbox.stop();
    }
  });
});

describe('sandbox process', function () {
  this.timeout(10000);

  it('runs standalone, writes its config as YAML and exits cleanly on SIGTERM', async () => {
    const configFile = join(tmpdir(), `salt-sandbox-test-${process.pid}.yaml`);
    const child = spawn(process.execPath, [join(process.cwd(), 'dist/src/sandbox/main.js'), '--minions', '3', '--config-out', configFile], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      let text: string | undefined;
      for (let i = 0; i < 100 && text === undefined; i++) {
        text = await readFile(configFile, 'utf8').catch(() => undefined);
        if (text === undefined) await sleep(50);
      }
      const config = loadYaml(text as string) as Record<string, unknown>;
      expect(config).to.include({ interface: '127.0.0.1', ipc_mode: 'ipc', timeout: 5 });
      const port = config.ret_port as number;
      const reply = unpack(await rawRequest(port, packOldSpec({ enc: 'clear', load: { cmd: 'mk_token', username: 'saltdev', password: 'saltdev', eauth: 'pam' }, version: 3 })));
      const tok = asMap(reply).token as string;
      const published = unpack(await rawRequest(port, packOldSpec({ enc: 'clear', load: publishLoad(tok, {}), version: 3 })));
      expect(asMap(asMap(published).load).minions).to.deep.equal(['minion-1', 'minion-2', 'minion-3']);

      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
      let gone: unknown;
      await stat(config.sock_dir as string).catch((e: unknown) => {
        gone = e;
      });
      expect(gone).to.have.property('code', 'ENOENT');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(configFile, { force: true });
    }
  });
});
