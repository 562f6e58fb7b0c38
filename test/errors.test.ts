/** Bad input gets the right status and a body in the negotiated format, and nothing runs. */
import { expect } from 'chai';
import { startHarness, login, type Harness } from './support/harness.js';

describe('errors on POST /', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness({ master: { netapi_enable_clients: ['local', 'local_async', 'runner', 'wheel'] }, api: { max_request_body_size: 4096 } });
    token = await login(h);
  });
  after(async () => {
    await h.close();
  });

  const post = () => h.http.post('/').set('X-Auth-Token', token).set('Accept', 'application/json');
  const publishes = () => h.sandbox.requests.filter((l) => l.cmd === 'publish').length;

  it('401 without a session, before the body is read', async () => {
    const res = await h.http.post('/').set('Content-Type', 'application/json').send('{not json').expect(401);
    expect(res.body).to.deep.equal({ status: 401, return: 'No permission -- see authorization schemes' });
  });

  it('401 with a token the master does not know', async () => {
    await h.http.post('/').set('X-Auth-Token', 'ab'.repeat(32)).send([{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(401);
  });

  const cases: [string, unknown, number, string][] = [
    ['an unknown client', [{ client: 'bogus', fun: 'test.ping' }], 400, "Invalid client specified: 'bogus'"],
    ['no client', [{ tgt: '*', fun: 'test.ping' }], 400, "Invalid client specified: 'None'"],
    // JSON can give a mapping a `toString` that is no function: the message still quotes it as Salt does.
    ['a client that is a mapping', [{ client: { toString: '', valueOf: 1 }, fun: 'test.ping' }], 400, "Invalid client specified: '{'toString': '', 'valueOf': 1}'"],
    [
      'a disabled client',
      [{ client: 'wheel_async', fun: 'key.list_all' }],
      400,
      "Client disabled: 'wheel_async'. Add to 'netapi_enable_clients' master config option to enable.",
    ],
    ['a lowstate that is not a list', '"just a string"', 400, 'Lowstates must be a list'],
    ['an empty object', {}, 400, 'Lowstates must be a list'],
    ['a chunk that is not a mapping', ['a'], 400, "Invalid value for 'lowstate': expected a list of mappings"],
    ['tgt as an object', [{ client: 'local', tgt: { a: 1 }, fun: 'test.ping' }], 400, "Invalid value for 'tgt': expected a target expression or a list of minion ids"],
    ['fun as a number', [{ client: 'local', tgt: '*', fun: 5 }], 400, "Invalid value for 'fun': expected a function name or a list of function names"],
    ['timeout not a number', [{ client: 'local', tgt: '*', fun: 'test.ping', timeout: 'soon' }], 400, "Invalid value for 'timeout': expected a positive number of seconds"],
    ['arg as a map', [{ client: 'local', tgt: '*', fun: 'test.arg', arg: { a: 1 } }], 400, "Invalid value for 'arg': expected a list of positional arguments"],
    ['a raw_shell request', [{ client: 'local', tgt: '*', fun: 'test.ping', raw_shell: true }], 401, 'Raw shell option not allowed.'],
  ];
  for (const [why, body, status, message] of cases) {
    it(`${status} for ${why}, nothing published`, async () => {
      const before = publishes();
      const req = post();
      const res = await (typeof body === 'string' ? req.set('Content-Type', 'application/json').send(body) : req.send(body as object)).expect(status);
      expect(res.body).to.deep.equal({ status, return: message });
      expect(publishes()).to.equal(before);
    });
  }

  it('401 naming the user as Salt prints it when /run gets a username that is a mapping', async () => {
    const res = await h.http
      .post('/run')
      .set('Accept', 'application/json')
      .send([{ client: 'runner', fun: 'test.arg', eauth: 'auto', username: { toString: '' }, password: 'saltdev' }])
      .expect(401);
    expect(res.body).to.deep.equal({ status: 401, return: `Authentication failure of type "eauth" occurred for user {'toString': ''}.` });
  });

  it('400 for invalid JSON', async () => {
    const res = await post().set('Content-Type', 'application/json').send('[{"client": ').expect(400);
    expect(res.body).to.deep.equal({ status: 400, return: 'Invalid JSON document' });
  });

  it('400 for invalid YAML (salt-api answers 500)', async () => {
    const res = await post().set('Content-Type', 'application/x-yaml').send('- a: [1\n').expect(400);
    expect(res.body).to.deep.equal({ status: 400, return: 'Invalid YAML document' });
  });

  it('400 for a body that is not UTF-8', async () => {
    const res = await post().set('Content-Type', 'application/json').send(Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d])).expect(400);
    expect(res.body.status).to.equal(400);
  });

  it('406 for an unsupported Content-Type', async () => {
    const res = await post().set('Content-Type', 'application/xml').send('<a/>').expect(406);
    expect(res.body).to.deep.equal({ status: 406, return: 'Content type not supported' });
  });

  it('406 for an unacceptable Accept, before the command runs', async () => {
    const before = publishes();
    const res = await h.http
      .post('/')
      .set('X-Auth-Token', token)
      .set('Accept', 'text/csv')
      .send([{ client: 'local', tgt: '*', fun: 'test.ping' }])
      .expect(406);
    expect(res.headers['content-type']).to.equal('application/json');
    expect(res.body.status).to.equal(406);
    expect(res.body.return).to.equal(
      'Your client sent this Accept header: text/csv. But this resource only emits these media types: application/json, application/x-yaml.',
    );
    expect(publishes()).to.equal(before);
  });

  it('413 for a body over max_request_body_size', async () => {
    const big = JSON.stringify([{ client: 'local', tgt: '*', fun: 'test.echo', arg: ['x'.repeat(5000)] }]);
    const res = await post().set('Content-Type', 'application/json').send(big).expect(413);
    expect(res.body.status).to.equal(413);
  });

  it('an empty POST body is not a lowstate', async () => {
    const res = await post().expect(400);
    expect(res.body).to.deep.equal({ status: 400, return: 'Lowstates must be a list' });
  });

  it('an empty list runs nothing', async () => {
    const res = await post().send([]).expect(200);
    expect(res.body).to.deep.equal({ return: [] });
  });
});
