/** The codec against real bytes recorded from a Salt 3007 master (test/fixtures/captures/wire-vectors.json). */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { packEventFrame, packOldSpec, parseEventBody, unpack, frameBody } from '../src/salt/codec.js';
import { fixturePath } from './support/paths.js';

interface RequestVector {
  name: string;
  request_hex: string;
  reply_hex: string;
}
interface EventVector {
  tag: string;
  frame_hex: string;
}
const vectors = JSON.parse(readFileSync(fixturePath('captures/wire-vectors.json'), 'utf8')) as {
  requests: RequestVector[];
  events: EventVector[];
};

describe('msgpack codec (Salt payload rules)', () => {
  it('has vectors to check', () => {
    expect(vectors.requests.length).to.be.greaterThan(5);
    expect(vectors.events.length).to.be.greaterThan(3);
  });

  for (const vector of vectors.requests) {
    it(`re-encodes the request byte for byte: ${vector.name}`, () => {
      const decoded = unpack(Buffer.from(vector.request_hex, 'hex'));
      expect(packOldSpec(decoded).toString('hex')).to.equal(vector.request_hex);
    });
    it(`decodes and re-encodes the master's reply: ${vector.name}`, () => {
      const decoded = unpack(Buffer.from(vector.reply_hex, 'hex'));
      expect(packOldSpec(decoded).toString('hex')).to.equal(vector.reply_hex);
    });
  }

  it('writes the mk_token request exactly as salt-api does', () => {
    const body = packOldSpec({
      enc: 'clear',
      load: { cmd: 'mk_token', username: 'saltdev', password: 'saltdev', eauth: 'auto' },
      version: 2,
    });
    expect(body.toString('hex')).to.equal(vectors.requests[0]?.request_hex);
  });

  it('uses str16, never str8, for strings of 32 to 255 bytes (old msgpack spec)', () => {
    const token = 'b72b2bc91b461a025d944b12125f04a779a148e9bbb2b32acafc96682f44e58d';
    expect(packOldSpec(token).subarray(0, 3).toString('hex')).to.equal('da0040');
  });

  it('decodes the 64-hex token of a real mk_token reply', () => {
    const reply = unpack(Buffer.from(vectors.requests[0]!.reply_hex, 'hex')) as Record<string, unknown>;
    expect(reply.token).to.match(/^[0-9a-f]{64}$/);
    expect(reply.eauth).to.equal('auto');
    expect(reply.expire).to.be.a('number');
  });

  for (const vector of vectors.events) {
    it(`decodes and re-encodes the bus frame of ${vector.tag}`, () => {
      const frame = unpack(Buffer.from(vector.frame_hex, 'hex'));
      const body = frameBody(frame);
      expect(body, 'frame body').to.be.instanceOf(Uint8Array);
      const event = parseEventBody(body!);
      expect(event?.tag).to.equal(vector.tag);
      expect(event?.data).to.have.property('_stamp');
      expect(packEventFrame(event!).toString('hex')).to.equal(vector.frame_hex);
    });
  }

  it('keeps binary event values as bytes', () => {
    const hello = vectors.events.find((v) => v.tag === 'realsalt/probe/hello');
    const event = parseEventBody(frameBody(unpack(Buffer.from(hello!.frame_hex, 'hex')))!);
    expect(Buffer.from(event!.data.bin as Uint8Array).toString('hex')).to.equal('0001');
  });

  it('reads invalid UTF-8 in a raw string without throwing', () => {
    expect(unpack(Buffer.from('a2fffe', 'hex'))).to.be.a('string');
  });
});
