/**
 * Where the API connects (src/salt/endpoints.ts), named for the report: the doctor must look
 * exactly where the API will, or its verdict means nothing.
 */
import type { MasterSettings } from '../config/types.js';
import { busAddresses, type BusAddress } from '../salt/endpoints.js';

export { requestEndpoint } from '../salt/endpoints.js';

/** `interface:ret_port` as an operator writes it. */
export function requestAddress(master: MasterSettings): string {
  return master.interface.includes(':') ? `[${master.interface}]:${master.ret_port}` : `${master.interface}:${master.ret_port}`;
}

export type BusRole = 'publish' | 'pull';

export interface BusSocket {
  role: BusRole;
  address: BusAddress;
  /** How the report names it: the socket file's name, or the TCP address and its option. */
  label: string;
  /** With `ipc_mode: tcp`, the master option that sets the port. */
  option?: string;
}

export function busSockets(master: MasterSettings): Record<BusRole, BusSocket> {
  const addresses = busAddresses(master);
  if (master.ipc_mode === 'tcp') {
    const tcp = (role: BusRole, option: string, port: number): BusSocket => ({
      role,
      address: addresses[role],
      label: `127.0.0.1:${port} (${option})`,
      option,
    });
    return {
      publish: tcp('publish', 'tcp_master_pub_port', master.tcp_master_pub_port),
      pull: tcp('pull', 'tcp_master_pull_port', master.tcp_master_pull_port),
    };
  }
  return {
    publish: { role: 'publish', address: addresses.publish, label: 'master_event_pub.ipc' },
    pull: { role: 'pull', address: addresses.pull, label: 'master_event_pull.ipc' },
  };
}
