/** Where the master's request server and event bus are, from the master options (wire.md §2, §5). */
import path from 'node:path';
import type { MasterSettings } from '../config/types.js';

/** Where a bus socket is: a unix socket path or a TCP port on loopback (`ipc_mode: tcp`). */
export type BusAddress = { path: string } | { host: string; port: number };

/** The ZeroMQ endpoint of the master's ret port. */
export function requestEndpoint(master: MasterSettings): string {
  const host = master.interface;
  return host.includes(':') ? `tcp://[${host}]:${master.ret_port}` : `tcp://${host}:${master.ret_port}`;
}

export function busAddresses(master: MasterSettings): { publish: BusAddress; pull: BusAddress } {
  if (master.ipc_mode === 'tcp') {
    return {
      publish: { host: '127.0.0.1', port: master.tcp_master_pub_port },
      pull: { host: '127.0.0.1', port: master.tcp_master_pull_port },
    };
  }
  return {
    publish: { path: path.join(master.sock_dir, 'master_event_pub.ipc') },
    pull: { path: path.join(master.sock_dir, 'master_event_pull.ipc') },
  };
}
