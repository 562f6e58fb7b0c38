/**
 * The master's external authentication (`salt.auth.LoadAuth`): sandbox users stand in for the eauth
 * backends, tokens live in memory instead of `token_dir`, and the ACL of a user is compiled from
 * `external_auth` exactly as `CkMinions.fill_auth_list` does (netapi-clients.md §8).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ExternalAuth } from '../config/types.js';
import type { SaltMap, SaltToken, SaltValue } from '../salt/types.js';
import { epochSeconds } from '../salt/jid.js';
import { exprMatch } from '../salt/match.js';
import { PyError, isMap, pyTypeName } from './python.js';
import { pythonStr } from '../salt/pythonRepr.js';
import type { Timers } from './timers.js';

export interface SandboxUser {
  password: string;
  /** eauth backends that accept this user; default `['auto', 'sharedsecret', 'pam']`. */
  eauth?: string[];
  /** What the backend's `groups()` reports: matched against `<group>%` ACL keys. */
  groups?: string[];
}

export const DEFAULT_USER_EAUTH = ['auto', 'sharedsecret', 'pam'];

/** `token_expire_user_override`: true for everyone, or the users allowed per eauth backend. */
export type TokenExpireOverride = boolean | Record<string, string[]>;

export interface AuthSettings {
  users: Record<string, SandboxUser>;
  externalAuth: ExternalAuth;
  tokenExpire: number;
  tokenExpireUserOverride: TokenExpireOverride;
  /** Seconds a failed eauth attempt is held back (the master pads failures to ~1 s). */
  failureDelay: number;
}

export type AuthType = 'token' | 'eauth' | 'user';

export interface AuthCheck {
  username: SaltValue;
  authList: SaltValue[];
  error?: { name: string; message: string };
}

/** Tokens are file names in the master's token_dir: only lowercase hex is ever looked up. */
const TOKEN_FORMAT = /^[0-9a-f]{1,128}$/;

/** The credential keys `ClearFuncs._prep_auth_info` picks the auth type from. */
export function authTypeOf(load: SaltMap): AuthType {
  if ('token' in load) return 'token';
  if ('eauth' in load) return 'eauth';
  return 'user';
}

/** The reply form of a token record, keys in the master's order. */
export function tokenRecord(token: SaltToken): SaltMap {
  const record: SaltMap = { start: token.start, expire: token.expire, name: token.name, eauth: token.eauth };
  if (token.groups) record.groups = token.groups;
  record.token = token.token;
  return record;
}

export class Auth {
  private readonly tokens = new Map<string, SaltToken>();

  constructor(
    private readonly settings: AuthSettings,
    private readonly timers: Timers,
  ) {}

  get externalAuth(): ExternalAuth {
    return this.settings.externalAuth;
  }

  /**
   * `LoadAuth.authenticate_eauth`: the backend and user name the credentials prove, or undefined.
   * Failures are padded like `time_auth` does.
   */
  private async authenticateEauth(load: SaltMap): Promise<{ eauth: string; name: string } | undefined> {
    const { eauth, username, password } = load;
    const user = typeof username === 'string' && Object.hasOwn(this.settings.users, username) ? this.settings.users[username] : undefined;
    if (
      typeof eauth === 'string' &&
      typeof username === 'string' &&
      Object.hasOwn(this.settings.externalAuth, eauth) &&
      user !== undefined &&
      password === user.password &&
      (user.eauth ?? DEFAULT_USER_EAUTH).includes(eauth)
    ) {
      return { eauth, name: username };
    }
    await this.timers.sleep(this.settings.failureDelay * 1000);
    return undefined;
  }

  private groupsOf(name: string): string[] | undefined {
    const groups = Object.hasOwn(this.settings.users, name) ? this.settings.users[name]!.groups : undefined;
    return groups && groups.length > 0 ? [...groups] : undefined;
  }

  private allowCustomExpire(eauth: string, name: string): boolean {
    const override = this.settings.tokenExpireUserOverride;
    if (typeof override === 'boolean') return override;
    return Object.hasOwn(override, eauth) && override[eauth]!.includes(name);
  }

  /** `LoadAuth.mk_token`: a new token record, or undefined when authentication failed. */
  async mkToken(load: SaltMap): Promise<SaltToken | undefined> {
    const verified = await this.authenticateEauth(load);
    if (verified === undefined) return undefined;
    const { eauth, name } = verified;
    let expireIn = this.settings.tokenExpire;
    if ('token_expire' in load && this.allowCustomExpire(eauth, name)) {
      const requested = load.token_expire;
      if (typeof requested !== 'number') {
        throw new PyError('TypeError', `unsupported operand type(s) for +: 'float' and '${pyTypeName(requested)}'`);
      }
      expireIn = requested;
    }
    const start = epochSeconds();
    const token: SaltToken = {
      start,
      expire: start + expireIn,
      name,
      eauth,
      groups: this.groupsOf(name),
      token: createHash('sha256').update(randomBytes(512)).digest('hex'),
    };
    this.tokens.set(token.token, token);
    return token;
  }

  /** `LoadAuth.get_tok`: the unexpired record, or undefined (an expired one is removed). */
  getToken(value: SaltValue | undefined): SaltToken | undefined {
    if (typeof value !== 'string' || !TOKEN_FORMAT.test(value)) return undefined;
    const token = this.tokens.get(value);
    if (token === undefined) return undefined;
    if (token.expire < epochSeconds()) {
      this.tokens.delete(value);
      return undefined;
    }
    return token;
  }

  /** The `auth.del_token` runner: true when a token was removed. */
  deleteToken(value: SaltValue | undefined): boolean {
    return typeof value === 'string' && TOKEN_FORMAT.test(value) && this.tokens.delete(value);
  }

  /** `CkMinions.fill_auth_list` over `external_auth[eauth]`. */
  authList(eauth: string, name: string, groups: readonly string[]): SaltValue[] {
    const provider = this.settings.externalAuth[eauth];
    if (!isMap(provider)) return [];
    const list: SaltValue[] = [];
    let nameMatched = false;
    for (const [key, entries] of Object.entries(provider)) {
      if (key === '*' || !Array.isArray(entries)) continue;
      if (key.endsWith('%')) {
        if (groups.includes(key.replace(/%+$/, ''))) list.push(...entries);
      } else if (exprMatch(name, key)) {
        nameMatched = true;
        list.push(...entries);
      }
    }
    const star = provider['*'];
    if (!nameMatched && Array.isArray(star)) list.push(...star);
    return list;
  }

  /** `LoadAuth.check_authentication` for the credentials found in `load`. */
  async check(load: SaltMap, type: AuthType): Promise<AuthCheck> {
    const username = 'username' in load ? load.username : 'UNKNOWN';
    if (type === 'token') {
      const token = this.getToken(load.token);
      if (token === undefined || !Object.hasOwn(this.settings.externalAuth, token.eauth)) {
        return {
          username,
          authList: [],
          error: { name: 'TokenAuthenticationError', message: 'Authentication failure of type "token" occurred.' },
        };
      }
      return { username: token.name, authList: this.authList(token.eauth, token.name, token.groups ?? []) };
    }
    if (type === 'eauth') {
      const verified = await this.authenticateEauth(load);
      if (verified === undefined) {
        return {
          username,
          authList: [],
          error: {
            name: 'EauthAuthenticationError',
            message: `Authentication failure of type "eauth" occurred for user ${pythonStr(username)}.`,
          },
        };
      }
      const { eauth, name } = verified;
      return { username: name, authList: this.authList(eauth, name, this.groupsOf(name) ?? []) };
    }
    // "user" auth needs the master's root key, which no API client has.
    return {
      username,
      authList: [],
      error: { name: 'UserAuthenticationError', message: 'Authentication failure of type "user" occurred' },
    };
  }
}
