/**
 * A body over max_request_body_size is answered 413 only once the client has finished sending it
 * (read and thrown away, within bounds): closing the connection under a client that is still
 * sending resets it, the client may never read the answer, and nginx in front answers 502.
 */
import net from 'node:net';
import { expect } from 'chai';
import { startHarness, type Harness } from './support/harness.js';

const MiB = 1024 * 1024;
const TOO_LARGE = '{"status": 413, "return": "Request body is larger than the limit of 1048576 bytes"}';

interface Exchange {
  /** Bytes of the body the client got to send, and every socket error it saw. */
  sent: number;
  errors: string[];
  /** Everything the server sent, up to its close. */
  received: string;
}

/**
 * Send `head`, then `body` piece by piece (each one handed to the kernel before the next is
 * written), framed as chunks when `chunked`; collect what the server answers until it closes.
 */
function exchange(h: Harness, head: string, body: Buffer, options: { piece: number; chunked?: boolean }): Promise<Exchange> {
  const { port } = new URL(h.url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const result: Exchange = { sent: 0, errors: [], received: '' };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (result.received += chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => result.errors.push(error.code ?? error.message));
    socket.on('close', () => resolve(result));
    const write = (data: string | Buffer) =>
      new Promise<boolean>((done) => {
        if (socket.destroyed) return done(false);
        socket.write(data, (error) => done(!error));
      });
    const send = async (): Promise<void> => {
      if (!(await write(head))) return;
      for (let offset = 0; offset < body.length; offset += options.piece) {
        const piece = body.subarray(offset, offset + options.piece);
        const framed = options.chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
        if (!(await write(framed))) return;
        result.sent += piece.length;
        // Paced like a client reading a file: the server has a moment to answer in between.
        await new Promise((next) => setImmediate(next));
      }
      if (options.chunked) await write('0\r\n\r\n');
    };
    socket.once('connect', () => void send());
  });
}

/** The status line, the headers (lower-cased names) and the body of one HTTP/1.1 answer. */
function parse(received: string): { status: string; headers: Record<string, string>; body: string } {
  const end = received.indexOf('\r\n\r\n');
  const [status = '', ...lines] = received.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status, headers, body: received.slice(end + 4) };
}

describe('413 for an oversized body', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const body = Buffer.alloc(2 * MiB, 'x');

  it('declared by Content-Length: the whole body is taken, then the complete 413, then a clean close', async () => {
    const head = `POST /login HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const result = await exchange(h, head, body, { piece: 64 * 1024 });
    expect(result.errors, 'socket errors on the client').to.deep.equal([]);
    expect(result.sent).to.equal(body.length);
    const answer = parse(result.received);
    expect(answer.status).to.equal('HTTP/1.1 413 Payload Too Large');
    expect(answer.headers).to.include({ connection: 'close', 'content-length': String(TOO_LARGE.length) });
    expect(answer.body).to.equal(TOO_LARGE);
  });

  it('sent chunked (refused while it is read): the rest is taken too, then the complete 413', async () => {
    const head = 'POST /login HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const result = await exchange(h, head, body, { piece: 64 * 1024, chunked: true });
    expect(result.errors, 'socket errors on the client').to.deep.equal([]);
    expect(result.sent).to.equal(body.length);
    const answer = parse(result.received);
    expect(answer.status).to.equal('HTTP/1.1 413 Payload Too Large');
    expect(answer.headers).to.include({ connection: 'close' });
    expect(answer.body).to.equal(TOO_LARGE);
  });

  it('a declared length past what is worth reading (16 × the limit) is answered at once, unread', async () => {
    const head = `POST /login HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nContent-Length: ${100 * MiB}\r\n\r\n`;
    // Nothing of the body is sent: the answer comes without waiting for it.
    const result = await exchange(h, head, Buffer.alloc(0), { piece: 1 });
    const answer = parse(result.received);
    expect(answer.status).to.equal('HTTP/1.1 413 Payload Too Large');
    expect(answer.body).to.equal(TOO_LARGE);
  });
});
