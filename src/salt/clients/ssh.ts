/**
 * `ssh`: salt-api runs salt-ssh inside its own process. This version does not run salt-ssh yet,
 * so an enabled `ssh` client answers with a clear 501 after the credentials were confirmed.
 */
import { Errors } from '../../errors.js';
import type { ClientFunction } from '../context.js';

export const ssh: ClientFunction = async () => {
  throw Errors.NotImplemented('the ssh client (salt-ssh) is not available in this version of salt-api-koa');
};
