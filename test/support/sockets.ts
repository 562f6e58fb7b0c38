/**
 * Plain TCP clients for what no HTTP client library will send: partial request lines, trickled
 * headers, a 10 MB header. Everything is written by hand and read back as bytes.
 */
import net from 'node:net';

export interface Exchange {
  /** Everything the server sent, as latin1 text (status line, headers, body). */
  received: string;
  /** The server closed or reset the connection (false: still open when `waitMs` ran out). */
  closed: boolean;
  /** Milliseconds from connecting to the close (or to giving up). */
  ms: number;
}

function address(baseUrl: string): { host: string; port: number } {
  const url = new URL(baseUrl);
  return { host: url.hostname, port: Number(url.port) };
}

/** Connect, let `write` send what it likes, and collect the answer until the server closes or `waitMs` passes. */
export function exchange(baseUrl: string, write: (socket: net.Socket) => void, waitMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect(address(baseUrl));
    const started = Date.now();
    let received = '';
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ received, closed, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    // A reset while we are still writing (the server gave up on us) is a close too.
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', () => write(socket));
  });
}

/** The status code of the first response in `received`, or undefined when none arrived. */
export function statusOf(received: string): number | undefined {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(received);
  return match ? Number(match[1]) : undefined;
}

/** The body after the first blank line, parsed as JSON. */
export function jsonBodyOf(received: string): unknown {
  return JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4));
}

export interface Slowloris {
  /** Connections the server has closed so far. */
  closed(): number;
  /** Stop trickling and close every connection. */
  stop(): void;
}

/**
 * `count` connections that each send the start of a request and then one header byte every
 * `trickleMs`, never finishing the headers: the classic slowloris.
 */
export async function slowloris(baseUrl: string, count: number, trickleMs: number): Promise<Slowloris> {
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect(address(baseUrl));
          socket.once('connect', () => {
            socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
            resolve(socket);
          });
          socket.once('error', reject);
        }),
    ),
  );
  let closed = 0;
  for (const socket of sockets) {
    socket.removeAllListeners('error');
    socket.on('error', () => undefined);
    socket.once('close', () => closed++);
  }
  const trickle = setInterval(() => {
    for (const socket of sockets) if (!socket.destroyed) socket.write('a');
  }, trickleMs);
  return {
    closed: () => closed,
    stop() {
      clearInterval(trickle);
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** Whether something accepts TCP connections on loopback `port`. */
export function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A TCP port on loopback that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
