/**
 * The event-stream bench fires its burst straight into the sandbox master's pull socket, so it must
 * write the framing of the release the sandbox runs: written in the other one, no event arrived
 * and `npm run bench` waited for them forever. A small burst through the real bench code, with its
 * real sandbox and API processes, must reach every client.
 */
import { expect } from 'chai';
import { benchEvents } from '../bench/events.js';

describe('bench: event-stream burst', function () {
  this.timeout(120_000);

  it('delivers every event of the burst to every client, none cut off', async () => {
    const result = await benchEvents({ clients: 10, events: 200, workers: 1, stallMs: 10_000 });
    expect(result.cutOff).to.equal(0);
    expect(result.completeness).to.equal(100);
  });
});
