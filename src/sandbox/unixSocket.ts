/** Unix stream socket servers the way the master creates them in its sock_dir (wire.md §1). */
import { chmod, rm } from 'node:fs/promises';
import net from 'node:net';

export interface UnixServer {
  readonly path: string;
  close(): Promise<void>;
}

/**
 * Listen on `path` (replacing a stale socket file a crashed run left behind) with mode 0600, so
 * only the sandbox's own user can use it, as the master's `srw-------` sockets.
 */
export async function listenUnix(path: string, onConnection: (socket: net.Socket) => void): Promise<UnixServer> {
  await rm(path, { force: true });
  const server = net.createServer(onConnection);
  const connections = new Set<net.Socket>();
  server.on('connection', (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, 0o600);
  return {
    path,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of connections) socket.destroy();
      await closed;
      await rm(path, { force: true });
    },
  };
}
