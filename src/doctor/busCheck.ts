/**
 * Check 2: the master's event bus. Whether this user can use both sockets, then the framing of
 * each (salt-versions.md §2), found the way the API finds it: through src/salt/eventBus.ts, whose
 * probe event on the pull socket is republished on the publish socket only when the master read
 * it, which also shows a frame of the publish socket.
 *
 * The publish socket carries every job return and event: without it the API does not work. The
 * pull socket only carries the events the API fires (POST /hook), so its problems are warnings.
 */
import type { BusFraming } from '../salt/busFraming.js';
import { EventBus } from '../salt/eventBus.js';
import { describeCurrentUser } from './accounts.js';
import type { LoadedConfig } from './config.js';
import { type BusSocket, busSockets } from './endpoints.js';
import type { Evidence } from './evidence.js';
import { type Finding, type Problem, fail, ok, skip, warn } from './finding.js';
import { type Denial, inspectSocketFile, tryConnect } from './socketFile.js';

export interface BusReport {
  findings: Finding[];
  evidence: Pick<Evidence, 'publishFraming' | 'pullFraming'>;
}

interface Reach {
  finding: Finding;
  connected: boolean;
}

const PUB_MODES =
  'the master grants its group read and write on master_event_pub.ipc (mode 0660) in Salt 3007.2+ and 3008, and in 3006 only when external_auth or publisher_acl is set in its config';

function denialFix(socket: BusSocket, denial: Denial): string {
  const who = `run salt-api-koa as ${denial.owner} (the master's user) or as a member of group ${denial.group}`;
  if (denial.directory) {
    return `${who}; that group needs search permission (g+x) on ${denial.path}`;
  }
  if (socket.role === 'publish') return `${who}; ${PUB_MODES}`;
  return `${who} if the socket grants its group read and write (the master usually creates it for its own user only)`;
}

function problemOf(socket: BusSocket, detail: string, problem: Problem): Finding {
  // Only events the API fires depend on the pull socket.
  return socket.role === 'publish' ? fail('bus', detail, problem) : warn('bus', `${detail}; webhook events (POST /hook) cannot be fired`, problem);
}

async function reach(socket: BusSocket, config: LoadedConfig, timeoutMs: number): Promise<Reach> {
  const { sock_dir: sockDir } = config.settings.master;
  const startMaster = `start salt-master; if it is running, make sock_dir in ${config.file} the master's (cachedir and root_dir can move it; now ${sockDir})`;
  let mode = '';
  if ('path' in socket.address) {
    const file = socket.address.path;
    const state = await inspectSocketFile(file);
    switch (state.kind) {
      case 'missing':
        return { connected: false, finding: problemOf(socket, `${socket.label}: missing from ${sockDir}`, { name: socket.label, fix: startMaster }) };
      case 'not-socket':
        return { connected: false, finding: problemOf(socket, `${file} is not a socket`, { name: socket.label, fix: startMaster }) };
      case 'error':
        return { connected: false, finding: problemOf(socket, `${file}: ${state.code}`, { name: socket.label, fix: startMaster }) };
      case 'denied': {
        const { denial } = state;
        const which = denial.path === sockDir ? `${denial.path} (sock_dir)` : denial.path;
        const detail = `${socket.label}: permission denied: ${which} is ${denial.owner}:${denial.group} mode ${denial.mode}; this process runs as ${describeCurrentUser()}`;
        return { connected: false, finding: problemOf(socket, detail, { name: `${socket.label} permissions`, fix: denialFix(socket, state.denial) }) };
      }
      case 'ok':
        mode = `, mode ${state.mode}`;
    }
  }
  const outcome = await tryConnect(socket.address, timeoutMs);
  if (outcome === 'ok') {
    const access = 'path' in socket.address ? `readable and writable by ${describeCurrentUser()}${mode}, ` : '';
    return { connected: true, finding: ok('bus', `${socket.label}: ${access}connected`) };
  }
  const why = outcome === 'ECONNREFUSED' ? 'connection refused (no master listens on it)' : `cannot connect (${outcome})`;
  const fix = socket.option ? `start salt-master, or set ${socket.option} in ${config.file} to the master's (ipc_mode: tcp)` : startMaster;
  return { connected: false, finding: problemOf(socket, `${socket.label}: ${why}`, { name: socket.label, fix }) };
}

function framingWords(framing: BusFraming): string {
  return framing === 'prefixed' ? 'length-prefixed frames' : 'plain frames, no length prefix';
}

/** The first frame the master publishes, when no probe could make it publish one. */
function firstFrame(bus: EventBus, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const unwatch = bus.watchPublished(done);
    function done() {
      clearTimeout(timer);
      unwatch();
      resolve();
    }
  });
}

async function framings(sockets: Record<'publish' | 'pull', BusSocket>, pullReachable: boolean, timeoutMs: number): Promise<BusReport['evidence']> {
  const bus = new EventBus({ publish: sockets.publish.address, pull: sockets.pull.address, pullFraming: 'auto', confirmMs: timeoutMs, readyWaitMs: timeoutMs });
  try {
    await bus.start(timeoutMs);
    if (!bus.connected) return {};
    const pullFraming = pullReachable ? await bus.detectPullFraming() : undefined;
    if (bus.publishFraming === undefined) await firstFrame(bus, timeoutMs);
    return { publishFraming: bus.publishFraming, pullFraming };
  } finally {
    bus.close();
  }
}

export async function checkEventBus(config: LoadedConfig, timeoutMs: number): Promise<BusReport> {
  const sockets = busSockets(config.settings.master);
  const publish = await reach(sockets.publish, config, timeoutMs);
  const pull = await reach(sockets.pull, config, timeoutMs);
  const findings = [publish.finding, pull.finding];
  if (!publish.connected) {
    findings.push(skip('framing', `not checked: ${sockets.publish.label} cannot be read`));
    return { findings, evidence: {} };
  }
  const seen = await framings(sockets, pull.connected, timeoutMs);
  findings.push(
    seen.publishFraming
      ? ok('framing', `${sockets.publish.label}: ${framingWords(seen.publishFraming)}`)
      : skip('framing', `${sockets.publish.label}: no frame seen in ${timeoutMs / 1000} s (the API reads either framing)`),
  );
  findings.push(pullFramingFinding(sockets.pull, pull.connected, seen.pullFraming, config));
  return { findings, evidence: seen };
}

function pullFramingFinding(socket: BusSocket, reachable: boolean, detected: BusFraming | undefined, config: LoadedConfig): Finding {
  const configured = config.settings.api.event_pull_framing;
  const option = `${config.section}.event_pull_framing`;
  if (!reachable) return skip('framing', `${socket.label}: not checked (cannot connect)`);
  if (!detected) {
    return warn('framing', `${socket.label}: the master republished a probe event in neither framing, so events the API fires would be lost`, {
      name: `${socket.label} framing`,
      fix: `look in the salt-master log for errors about ${socket.label}; if the master is only busy, raise ${config.section}.master_timeout`,
    });
  }
  const found = `${socket.label}: reads ${framingWords(detected)} (the master republished a probe event in them)`;
  if (configured === 'auto') return ok('framing', found);
  if (configured === detected) return ok('framing', `${found}; ${option} is ${configured}, as it should be`);
  return fail('framing', `${found}, but ${option} is ${configured}: every event the API fires would be lost`, {
    name: option,
    fix: `set ${option} to auto (or ${detected}) in ${config.file}`,
  });
}
