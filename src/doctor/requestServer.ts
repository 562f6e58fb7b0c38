/**
 * Check 1: the master's request server at interface:ret_port, through the API's own request
 * channel (envelope version 3), then probes the API never sends, to learn how the master treats
 * older envelopes (salt-versions.md §1, §8).
 */
import { randomUUID } from 'node:crypto';
import { Errors, REQUEST_PROTOCOL_VERSION, isApiError } from '../errors.js';
import { isMap } from '../salt/master.js';
import { pythonStr } from '../salt/pythonRepr.js';
import { RequestChannel } from '../salt/requestChannel.js';
import type { SaltValue } from '../salt/types.js';
import type { LoadedConfig } from './config.js';
import { requestAddress, requestEndpoint } from './endpoints.js';
import type { Evidence } from './evidence.js';
import { type Finding, fail, ok, skip, warn } from './finding.js';
import { rawRequest } from './rawRequest.js';

export type RequestEvidence = Pick<Evidence, 'refusesVersion2' | 'answersEmptyLoad' | 'keepsNonce'>;

export interface RequestReport {
  findings: Finding[];
  evidence: RequestEvidence;
}

const BAD_LOAD = 'bad load';
/** What 3006.0–3006.24 and 3007 answer to a load without `cmd` (salt-versions.md §8). */
const GENERIC_FAILURE = 'Some exception handling minion payload';

/** `minimum_auth_version` as set in the master config, if it is. */
function configuredMinimum(config: LoadedConfig): number | undefined {
  const value = config.raw.minimum_auth_version;
  return typeof value === 'number' ? value : undefined;
}

function protocolFailure(config: LoadedConfig): Finding {
  const configured = configuredMinimum(config);
  const where = configured === undefined ? '' : ` (minimum_auth_version: ${configured} in ${config.file})`;
  return fail(
    'protocol',
    `refuses version ${REQUEST_PROTOCOL_VERSION} ("bad load"), the version salt-api-koa sends: the master's minimum_auth_version is above ${REQUEST_PROTOCOL_VERSION}${where}`,
    {
      name: 'minimum_auth_version',
      fix: `set minimum_auth_version to ${REQUEST_PROTOCOL_VERSION} (or remove it) in the master config and restart salt-master, or upgrade salt-api-koa to a release that speaks the master's newer request protocol`,
    },
  );
}

async function versionTwoVerdict(endpoint: string, timeoutMs: number, config: LoadedConfig): Promise<{ text: string; refuses?: boolean }> {
  const reply = await rawRequest(endpoint, { enc: 'clear', load: { cmd: 'ping' }, version: 2 }, timeoutMs);
  if (!reply.answered) return { text: 'the version 2 probe got no answer' };
  if (reply.value === BAD_LOAD) {
    return { text: 'version 2 refused ("bad load"): the master enforces minimum_auth_version >= 3 (Salt 3006.17+, 3007.9+, 3008)', refuses: true };
  }
  if (!isMap(reply.value)) return { text: `version 2 answered ${pythonStr(reply.value)}` };
  const configured = configuredMinimum(config);
  // Lowered in the config, the option makes a new master accept 2 as well: no sign of an old release.
  const lowered = configured !== undefined && configured < 3;
  const text = lowered
    ? `version 2 accepted too (minimum_auth_version: ${configured} in ${config.file})`
    : 'version 2 accepted too: no minimum_auth_version check (a release before 3006.17 or 3007.9, or the option set below 3)';
  return { text, refuses: lowered ? undefined : false };
}

async function answersEmptyLoad(endpoint: string, timeoutMs: number): Promise<boolean | undefined> {
  const reply = await rawRequest(endpoint, { enc: 'clear', load: {}, version: REQUEST_PROTOCOL_VERSION }, timeoutMs);
  if (!reply.answered) return undefined;
  if (isMap(reply.value) && Object.keys(reply.value).length === 0) return true;
  return reply.value === GENERIC_FAILURE ? false : undefined;
}

export async function checkRequestServer(config: LoadedConfig, timeoutMs: number): Promise<RequestReport> {
  const master = config.settings.master;
  const address = requestAddress(master);
  const endpoint = requestEndpoint(master);
  const seconds = timeoutMs / 1000;
  const channel = new RequestChannel({ endpoint, poolSize: 1, timeoutMs });
  // The echo of a ping keeps a nonce on 3006.12+, 3007.4+ and 3008 only (§8): one more clue.
  const nonce = `salt-api-koa-doctor-${randomUUID()}`;
  const started = performance.now();
  let reply: SaltValue;
  try {
    reply = await channel.send({ cmd: 'ping', nonce });
  } catch (error) {
    if (isApiError(error) && error.code === Errors.ProtocolMismatch.code) {
      // Only a release with the check refuses anything, and it refuses 2 if it refuses 3.
      return { findings: [ok('request', `${address} answers, with "bad load"`), protocolFailure(config)], evidence: { refusesVersion2: true } };
    }
    const why = isApiError(error) && error.code === Errors.MasterUnavailable.code ? `no answer to a clear ping within ${seconds} s` : String(error);
    return {
      findings: [
        fail('request', `${address} unreachable: ${why}`, {
          name: 'request server (interface, ret_port)',
          fix: `start salt-master, or set interface and ret_port in ${config.file} to the master's request server (interface 0.0.0.0 means 127.0.0.1 here) and let this host reach that port; if the master is only slow, raise ${config.section}.master_timeout (now ${seconds} s)`,
        }),
        skip('protocol', 'not checked: the request server did not answer'),
      ],
      evidence: {},
    };
  } finally {
    channel.close();
  }
  const elapsed = Math.round(performance.now() - started);
  if (isMap(reply) && typeof reply.error === 'string') {
    return {
      findings: [
        fail('request', `${address} answered the ping with the error ${JSON.stringify(reply.error)}`, {
          name: 'salt-master',
          fix: 'look for the error in the salt-master log (3008: its worker pools) and restart salt-master',
        }),
      ],
      evidence: {},
    };
  }
  if (!isMap(reply)) {
    return {
      findings: [
        warn('request', `${address} answered a ping with ${pythonStr(reply)}, not the echo a Salt master sends`, {
          name: 'request server (interface, ret_port)',
          fix: `make sure interface and ret_port in ${config.file} name the Salt master's request server (ret_port, default 4506)`,
        }),
      ],
      evidence: {},
    };
  }
  const versionTwo = await versionTwoVerdict(endpoint, timeoutMs, config);
  return {
    findings: [
      ok('request', `${address} answers a clear ping (${elapsed} ms)`),
      ok('protocol', `accepts version ${REQUEST_PROTOCOL_VERSION}; ${versionTwo.text}`),
    ],
    evidence: {
      refusesVersion2: versionTwo.refuses,
      answersEmptyLoad: await answersEmptyLoad(endpoint, timeoutMs),
      keepsNonce: reply.nonce === nonce,
    },
  };
}
