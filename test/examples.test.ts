/** The custom serializer example works end to end. */
import { expect } from 'chai';
import request from 'supertest';
import { main } from '../examples/csv-serializer.js';

describe('examples/csv-serializer', () => {
  let running: Awaited<ReturnType<typeof main>>;
  before(async () => {
    running = await main(0);
  });
  after(async () => {
    await running.stop();
  });

  it('renders a command as CSV when asked for text/csv', async () => {
    const http = request(running.url);
    const login = await http.post('/login').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
    const res = await http
      .post('/')
      .set('X-Auth-Token', login.body.return[0].token as string)
      .set('Accept', 'text/csv')
      .send([{ client: 'local', tgt: 'minion-*', fun: 'test.ping' }])
      .expect(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(res.text.split('\r\n').sort()).to.deep.equal(['', 'minion,value', 'minion-1,true', 'minion-2,true']);
  });

  it('still answers JSON by default', async () => {
    const res = await request(running.url).get('/').expect(200);
    expect(res.headers['content-type']).to.equal('application/json');
  });
});
