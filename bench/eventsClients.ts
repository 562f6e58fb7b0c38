/**
 * A worker thread of the event-stream bench (bench/events.ts): holds its share of the SSE clients,
 * counts the bench events each receives and records, per event and client, the time from firing
 * (the `sent_us` field of the event, wall clock in µs) to receipt.
 */
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

export interface ClientsData {
  url: string;
  token: string;
  clients: number;
  /** Bench events each client should receive. */
  expected: number;
}

/** Worker → bench. */
export type ClientsMessage =
  | { type: 'connected'; clients: number }
  | { type: 'done' }
  | { type: 'report'; received: number; chunks: number; cutOff: number; lastReceipt: number; latencies: Float64Array };

/** Bench → worker. */
export type BenchMessage = { type: 'report' };

/** Connections opened at once, so the API's listen backlog never overflows. */
const CONNECT_BATCH = 50;
/** What precedes the firing time (wall clock, integer µs) in each bench event's data. */
const SENT = Buffer.from('"sent_us": ');
const CUT_OFF = Buffer.from(': closing: client too slow');
const QUOTE = 0x22;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const EMPTY = Buffer.alloc(0);

const { url, token, clients, expected } = workerData as ClientsData;
const port = parentPort;
if (!port) throw new Error('bench/eventsClients.js runs as a worker thread');

const latencies = new Float64Array(clients * expected);
let recorded = 0;
let received = 0;
let cutOff = 0;
let chunks = 0;
let finished = 0;
let lastReceipt = 0;
const requests: http.ClientRequest[] = [];

const now = (): number => performance.timeOrigin + performance.now();

function finish(): void {
  if (++finished === clients) port?.postMessage({ type: 'done' } satisfies ClientsMessage);
}

/**
 * The firing times (µs) in `bytes`, and where to resume with the next chunk: a mark or number cut
 * off at the end is read again once the rest has arrived. Bytes, not text: on a small machine the
 * clients are the bench's bottleneck, and decoding and regexps would make them more so.
 */
function sentTimes(bytes: Buffer, times: number[]): number {
  let from = 0;
  for (;;) {
    const mark = bytes.indexOf(SENT, from);
    if (mark < 0) return Math.max(from, bytes.length - SENT.length + 1);
    let end = mark + SENT.length;
    let micros = 0;
    for (; end < bytes.length && bytes[end]! >= DIGIT_0 && bytes[end]! <= DIGIT_9; end++) micros = micros * 10 + bytes[end]! - DIGIT_0;
    if (end === bytes.length) return mark;
    times.push(micros);
    from = end;
  }
}

/** One client; resolves once its stream has begun. */
function open(): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${url}/events?token=${token}`, { agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET /events answered ${res.statusCode}`));
      let carry: Buffer = Buffer.alloc(0);
      let count = 0;
      let done = false;
      const times: number[] = [];
      res.on('data', (chunk: Buffer) => {
        resolve();
        chunks++;
        const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
        const resume = sentTimes(bytes, times);
        // Only a quote can start a mark: most reads end with a whole event and carry nothing.
        carry = bytes.indexOf(QUOTE, resume) >= 0 ? bytes.subarray(resume) : EMPTY;
        const at = now();
        for (const sent of times) {
          if (recorded < latencies.length) latencies[recorded++] = at - sent / 1000;
        }
        count += times.length;
        received += times.length;
        times.length = 0;
        lastReceipt = at;
        if (chunk.includes(CUT_OFF)) cutOff++;
        if (!done && count >= expected) {
          done = true;
          finish();
        }
      });
      res.on('end', () => {
        if (!done) finish();
        done = true;
      });
    });
    request.on('error', reject);
    requests.push(request);
  });
}

async function connectAll(): Promise<void> {
  for (let opened = 0; opened < clients; opened += CONNECT_BATCH) {
    await Promise.all(Array.from({ length: Math.min(CONNECT_BATCH, clients - opened) }, open));
  }
  port?.postMessage({ type: 'connected', clients } satisfies ClientsMessage);
}

port.on('message', (message: BenchMessage) => {
  if (message.type !== 'report') return;
  const own = latencies.slice(0, recorded);
  port.postMessage({ type: 'report', received, chunks, cutOff, lastReceipt, latencies: own } satisfies ClientsMessage, [own.buffer]);
  for (const request of requests) request.destroy();
  port.close();
});

// A failure to connect ends the worker with an error, which the bench reports.
await connectAll();
