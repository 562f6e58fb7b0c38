/**
 * The replay ring is bounded by the events' size too (`events_ring_bytes`): a big event goes out
 * live but is not kept, so its decoded data does not stay in memory, and a client coming back is
 * told it missed it.
 */
import { expect } from 'chai';
import { login, startHarness, type Harness } from './support/harness.js';
import { openSse } from './support/sseClient.js';
import { EventRing } from '../src/events/ring.js';

describe('events_ring_bytes', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ api: { events_ring_size: 100, events_ring_bytes: 4096 } });
  });
  after(async () => {
    await h.close();
  });

  it('hands a big event out live, then replays what fits and counts the big one as missed', async () => {
    const token = await login(h);
    const live = await openSse(h.url, `/events?token=${token}`);
    await live.waitFor((text) => text.startsWith('retry: 400\n'));
    h.sandbox.fireEvent('ring/small-1', { n: 1 });
    h.sandbox.fireEvent('ring/big', { payload: 'x'.repeat(10_000) });
    h.sandbox.fireEvent('ring/small-2', { n: 2 });
    h.sandbox.fireEvent('ring/small-3', { n: 3 });
    await live.waitFor((text) => text.includes('tag: ring/small-3'));
    live.close();
    const seen = live.events();
    expect(seen.map((block) => block.tag)).to.deep.equal(['ring/small-1', 'ring/big', 'ring/small-2', 'ring/small-3']);

    const again = await openSse(h.url, `/events?token=${token}`, { 'Last-Event-ID': seen[0]!.id! });
    await again.waitFor((text) => text.includes('tag: ring/small-3'));
    again.close();
    expect(again.text()).to.match(/^retry: 400\n: 1 events after Last-Event-ID are no longer kept and cannot be replayed\n\ntag: ring\/small-2\n/);
    expect(again.events().map((block) => block.tag)).to.deep.equal(['ring/small-2', 'ring/small-3']);
  });
});

describe('event ring bounds', () => {
  it('lets the oldest events go once their bytes pass the budget, keeping the newest', () => {
    const ring = new EventRing(10, 100, 1000);
    for (let n = 0; n < 5; n++) ring.add(`t/${n}`, { n }, 30);
    expect(ring.since(999)).to.deep.include({ missed: 2 });
    expect(ring.since(999)?.events.map((event) => event.tag)).to.deep.equal(['t/2', 't/3', 't/4']);
  });

  it('keeps none of an event bigger than the budget, and forgets nothing it did not have to', () => {
    const ring = new EventRing(10, 100, 1000);
    ring.add('small', {}, 10);
    ring.add('huge', {}, 1000);
    ring.add('after', {}, 10);
    expect(ring.since(999)).to.deep.include({ missed: 2 });
    expect(ring.since(1001)?.events.map((event) => event.tag)).to.deep.equal(['after']);
  });

  it('still lets events go by count, bytes aside', () => {
    const ring = new EventRing(3, Infinity, 1000);
    for (let n = 0; n < 5; n++) ring.add(`t/${n}`, {}, 1);
    expect(ring.since(999)).to.deep.include({ missed: 2 });
    expect(ring.since(999)?.events.map((event) => event.tag)).to.deep.equal(['t/2', 't/3', 't/4']);
  });
});
