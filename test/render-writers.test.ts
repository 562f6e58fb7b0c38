/**
 * Renderings borrow their byte buffer from a small pool (serializers/byte-writer.ts) instead of
 * allocating one per answer: each gets a writer of its own even when chunked renderings are
 * interleaved with others, and every way a rendering ends gives the writer back.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { withWriter, type ByteWriter } from '../serializers/byte-writer.js';
import { renderJsonBytes, renderJsonChunks } from '../serializers/json-render.js';
import { renderYamlBytes, renderYamlChunks } from '../serializers/yaml-emitter.js';
import type { ChunkOptions } from '../serializers/chunks.js';
import { seeded } from './support/fuzz.js';

const ANSWER = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.array(fc.string({ maxLength: 10 }), { maxLength: 5 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.boolean(), { maxKeys: 4 })),
  { minKeys: 1, maxKeys: 12 },
);
const SMALL_CHUNKS: ChunkOptions = { chunkSize: 16, sliceNodes: 3 };

/** The writer the next rendering will borrow (borrowed and given back at once). */
function nextWriter(): ByteWriter {
  return withWriter((writer) => writer);
}

describe('render writers (serializers/byte-writer.ts)', () => {
  it('interleaved renderings each write only their own bytes: chunked JSON and YAML pulled in turn, whole ones in between', () => {
    fc.assert(
      fc.property(ANSWER, ANSWER, fc.array(fc.constantFrom(0 as const, 1 as const, 2 as const), { minLength: 1, maxLength: 200 }), (a, b, turns) => {
        const between = renderJsonBytes({ between: b });
        const json = renderJsonChunks({ return: [a] }, SMALL_CHUNKS)[Symbol.iterator]();
        const yaml = renderYamlChunks({ return: [b] }, SMALL_CHUNKS)[Symbol.iterator]();
        const got: [Uint8Array[], Uint8Array[]] = [[], []];
        const done = [false, false];
        const pull = (side: 0 | 1) => {
          if (done[side]) return;
          const next = (side === 0 ? json : yaml).next();
          if (next.done === true) done[side] = true;
          else got[side].push(next.value);
        };
        for (const turn of turns) {
          if (turn === 2) expect(renderJsonBytes({ between: b }).equals(between)).to.equal(true);
          else pull(turn);
        }
        while (!done[0] || !done[1]) {
          pull(0);
          pull(1);
        }
        expect(Buffer.concat(got[0]).equals(renderJsonBytes({ return: [a] }))).to.equal(true);
        expect(Buffer.concat(got[1]).equals(renderYamlBytes({ return: [b] }))).to.equal(true);
      }),
      seeded(200),
    );
  });

  it('gives the writer back, empty, however the rendering ends: whole, failed, chunked to the end or abandoned', () => {
    const ends: [string, () => void][] = [
      ['JSON whole', () => renderJsonBytes({ return: [{ m: 'x' }] })],
      ['YAML whole', () => renderYamlBytes({ return: [{ m: 'x' }] })],
      ['JSON refused', () => expect(() => renderJsonBytes({ return: [{ m: new Date(0) }] })).to.throw('Could not serialize')],
      ['JSON chunked', () => [...renderJsonChunks({ return: [{ m: 'x'.repeat(100) }] }, SMALL_CHUNKS)]],
      ['YAML chunked', () => [...renderYamlChunks({ return: [{ m: 'x'.repeat(100) }] }, SMALL_CHUNKS)]],
      [
        'JSON abandoned',
        () => {
          const chunks = renderJsonChunks({ return: [{ m: 'x'.repeat(100), n: 'y'.repeat(100) }] }, SMALL_CHUNKS)[Symbol.iterator]();
          chunks.next();
          chunks.return?.();
        },
      ],
    ];
    for (const [name, render] of ends) {
      const writer = nextWriter();
      render();
      expect(nextWriter(), name).to.equal(writer);
      expect(writer.pos, name).to.equal(0);
    }
  });

  it('does not keep a writer that a big answer grew past its 64 KiB', () => {
    const writer = nextWriter();
    expect(writer.buf.length).to.equal(64 * 1024);
    const big = renderJsonBytes({ return: ['z'.repeat(100 * 1024)] });
    expect(big.length).to.be.greaterThan(100 * 1024);
    expect(writer.buf.length).to.be.greaterThan(64 * 1024);
    const next = nextWriter();
    expect(next).to.not.equal(writer);
    expect(next.buf.length).to.equal(64 * 1024);
  });
});
