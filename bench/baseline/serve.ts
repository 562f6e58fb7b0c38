/** How every baseline process serves: node:http on an ephemeral loopback port. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export async function serve(listener: http.RequestListener): Promise<void> {
  const server = http.createServer(listener);
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
