import { spawn } from 'node:child_process';
import { Request, Dealer } from 'zeromq';
import { packOldSpec, unpack } from './dist/src/salt/codec.js';
const child = spawn(process.execPath, ['dist/src/sandbox/main.js', '--minions', '10'], { stdio: ['ignore', 'pipe', 'inherit'] });
const config = JSON.parse(await new Promise(r => child.stdout.once('data', d => r(d.toString().split('\n')[0]))));
const s = new Request({ linger: 0 }); s.connect(`tcp://127.0.0.1:${config.ret_port}`);
const body = packOldSpec({ enc: 'clear', load: { cmd: 'ping' }, version: 2 });
let t = Date.now(); for (let i = 0; i < 5000; i++) { await s.send(body); await s.receive(); }
console.log('5000 sequential pings on one REQ:', Date.now() - t, 'ms');
const d = new Dealer({ linger: 0 }); d.connect(`tcp://127.0.0.1:${config.ret_port}`);
t = Date.now();
const N = 20000;
const recv = (async () => { let n = 0; for await (const _ of d) { if (++n === N) break; } })();
for (let i = 0; i < N; i++) await d.send([Buffer.alloc(0), body]);
await recv;
console.log(`${N} pipelined pings on one DEALER:`, Date.now() - t, 'ms');
s.close(); d.close();
child.kill('SIGTERM'); await new Promise(r => child.once('exit', r));
