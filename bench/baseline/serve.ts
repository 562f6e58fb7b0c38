/** How every baseline process serves: node:http on an ephemeral loopback port. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request handler; Koa's returns a promise that settles on its own (Koa catches its errors). */
type Listener = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

export async function serve(listener: Listener): Promise<void> {
  const server = http.createServer((req, res) => void listener(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  // Worded like the API's log line, so the bench waits for every server the same way.
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
  // An orderly exit (not death by signal) is what lets `--cpu-prof` write its profile.
  process.once('SIGTERM', () => process.exit(0));
}
