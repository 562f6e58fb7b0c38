/**
 * What Python keeps and JavaScript loses, kept (serializers/python-values.ts): ints beyond 2^53,
 * integer-valued floats and the order of integer-like keys, from the request body to the master
 * and from the master (its replies and its event bus) to the client, in JSON and in YAML; and
 * Python's repr() of strings and floats. Through the API against the sandbox master, and unit by
 * unit. render-diff.test.ts compares the renderers with python3 on generated documents.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { parseJson, renderJson } from '../serializers/json.js';
import { parseForm } from '../serializers/form.js';
import { PyFloat, orderedKeys } from '../serializers/python-values.js';
import { setMember } from '../serializers/set-member.js';
import { parseYaml } from '../serializers/yaml.js';
import { renderYaml } from '../serializers/yaml-emitter.js';
import { decodeOne, packNewSpec, packOldSpec, unpack } from '../src/salt/codec.js';
import { pythonRepr } from '../src/salt/pythonRepr.js';
import type { SaltMap, SaltValue } from '../src/salt/types.js';
import { login, startHarness, type Harness } from './support/harness.js';
import { openSse } from './support/sseClient.js';
import { seeded } from './support/fuzz.js';

const OPTIONS = { maxDepth: 100 };

/** A mapping built member by member, in this order, as the master's Python would hold it. */
function ordered(entries: Array<[string, SaltValue]>): SaltMap {
  const map: SaltMap = {};
  for (const [key, value] of entries) setMember(map, key, value);
  return map;
}

/** The Fibonacci numbers below `limit`, as Python computes them (exact). */
function fibBelow(limit: bigint): bigint[] {
  const seq = [0n];
  for (let a = 0n, b = 1n; b < limit; [a, b] = [b, a + b]) seq.push(b);
  return seq;
}

describe('Python fidelity through the API', function () {
  this.timeout(20000);
  let h: Harness;
  let token: string;

  before(async () => {
    h = await startHarness({
      sandbox: {
        minions: {
          'minion-1': {
            grains: {
              // A nested dict whose integer-like keys come after a name, as the minion holds it.
              disks: parseJson('{"sdb": {"size": 18446744073709551615}, "10": "ten", "9": "nine"}', OPTIONS) as SaltMap,
              load: new PyFloat(0),
              ratio: new PyFloat(2),
            },
          },
        },
      },
    });
    token = await login(h);
  });
  after(() => h.close());

  const post = (body: string, accept = 'application/json', contentType = 'application/json') =>
    h.http.post('/').set('X-Auth-Token', token).set('Accept', accept).set('Content-Type', contentType).send(body).expect(200);

  it('sends ints beyond 2^53 to the master exactly and renders the ints a minion returns exactly (event bus), in JSON and YAML', async () => {
    const body = '[{"client": "local", "tgt": "minion-1", "fun": "test.fib", "arg": [18446744073709551615]}]';
    const expected = fibBelow(2n ** 64n - 1n);
    expect(expected.at(-1)).to.equal(12200160415121876738n);

    const json = await post(body);
    expect(json.text).to.include(`{"minion-1": [[${expected.join(', ')}], `);

    const yaml = await post(body, 'application/x-yaml');
    expect(yaml.text).to.include(`  - - ${expected.slice(0, 2).join('\n    - ')}\n`);
    expect(yaml.text).to.include(`    - 7540113804746346429\n    - 12200160415121876738\n  - `);

    const publish = h.sandbox.requests.filter((load) => load.cmd === 'publish').at(-1);
    expect(publish?.arg).to.deep.equal([18446744073709551615n]);
  });

  it('renders ints beyond 2^53, integer-valued floats and key order of a master reply (request channel) as salt-api does', async () => {
    await post('[{"client": "local", "tgt": "minion-1", "fun": "test.ping"}]'); // the token is now cached
    const reply = ordered([
      ['tag', 'salt/wheel/20261203120000000000'],
      [
        'data',
        ordered([
          [
            'return',
            ordered([
              ['max', 2n ** 63n - 1n],
              ['big', 12345678901234567890n],
              ['min', -(2n ** 63n)],
              ['one', new PyFloat(1)],
              ['zero', new PyFloat(-0)],
              ['huge', new PyFloat(1e16)],
              ['tiny', 1e-5],
              ['minions', ordered([['minion-b', true], ['10', 2], ['9', new PyFloat(3)]])],
            ]),
          ],
          ['success', true],
        ]),
      ],
    ]);
    const chunk = '[{"client": "wheel", "fun": "key.list_all"}]';

    h.sandbox.injectReply(reply);
    const json = await post(chunk);
    expect(json.text).to.equal(
      '{"return": [{"tag": "salt/wheel/20261203120000000000", "data": {"return": {"max": 9223372036854775807, "big": 12345678901234567890, ' +
        '"min": -9223372036854775808, "one": 1.0, "zero": -0.0, "huge": 1e+16, "tiny": 1e-05, "minions": {"minion-b": true, "10": 2, "9": 3.0}}, "success": true}}]}',
    );

    h.sandbox.injectReply(reply);
    const yaml = await post(chunk, 'application/x-yaml');
    expect(yaml.text).to.equal(
      'return:\n- data:\n    return:\n      big: 12345678901234567890\n      huge: 1.0e+16\n      max: 9223372036854775807\n      min: -9223372036854775808\n' +
        "      minions:\n        '10': 2\n        '9': 3.0\n        minion-b: true\n      one: 1.0\n      tiny: 1.0e-05\n      zero: -0.0\n    success: true\n" +
        '  tag: salt/wheel/20261203120000000000\n',
    );
  });

  it("keeps the order of a minion's dict with integer-like keys and its integer-valued floats (GET /minions/<id>)", async () => {
    const res = await h.http.get('/minions/minion-1').set('X-Auth-Token', token).set('Accept', 'application/json').expect(200);
    expect(res.text).to.include('"disks": {"sdb": {"size": 18446744073709551615}, "10": "ten", "9": "nine"}');
    expect(res.text).to.include('"load": 0.0');
    expect(res.text).to.include('"ratio": 2.0');
  });

  it('keeps the order of keyword arguments with integer-like names on their way to the minion and back (JSON, YAML and form bodies)', async () => {
    const kwargs = '{"b": 1, "10": 2, "9": 3, "a": {"2": "x", "1": "y"}}';
    const bodies: Array<[string, string]> = [
      ['application/json', `[{"client": "local", "tgt": "minion-1", "fun": "test.arg", "arg": [{"z": 0, "3": 1}], "kwarg": ${kwargs}, "zeta": 1, "7": 2}]`],
      ['application/x-yaml', `- client: local\n  tgt: minion-1\n  fun: test.arg\n  arg: [{z: 0, "3": 1}]\n  kwarg: ${kwargs}\n  zeta: 1\n  "7": 2\n`],
      ['application/x-www-form-urlencoded', `client=local&tgt=minion-1&fun=test.arg&arg=${encodeURIComponent('{"z": 0, "3": 1}')}&kwarg=${encodeURIComponent(kwargs)}&zeta=1&7=2`],
    ];
    for (const [contentType, body] of bodies) {
      const res = await post(body, 'application/json', contentType);
      expect(res.text, contentType).to.match(/^\{"return": \[\{"minion-1": \{"args": \[\{"z": 0, "3": 1\}\], "kwargs": \{"b": 1, "10": 2, "9": 3, "a": \{"2": "x", "1": "y"\}, "__pub_/);

      // On the wire to the master: condition_input puts `__kwarg__` first, then the keywords in order.
      const publish = h.sandbox.requests.filter((load) => load.cmd === 'publish').at(-1) as SaltMap;
      const args = publish.arg as SaltMap[];
      expect(orderedKeys(args[0]!), contentType).to.deep.equal(['z', '3']);
      expect(orderedKeys(args[1]!), contentType).to.deep.equal(['__kwarg__', 'b', '10', '9', 'a']);
      expect(orderedKeys(publish.kwargs as SaltMap).filter((key) => key === 'zeta' || key === '7'), contentType).to.deep.equal(['zeta', '7']);
    }
  });

  it('answers 400 for an int no msgpack can carry (beyond 64 bits), sending nothing (salt-api: 500)', async () => {
    const published = h.sandbox.requests.filter((load) => load.cmd === 'publish').length;
    const res = await h.http
      .post('/')
      .set('X-Auth-Token', token)
      .set('Content-Type', 'application/json')
      .send('[{"client": "local", "tgt": "minion-1", "fun": "test.arg", "arg": [18446744073709551616]}]')
      .expect(400);
    expect(res.body).to.deep.equal({ status: 400, return: 'An integer beyond 64 bits cannot be sent to the Salt master' });
    expect(h.sandbox.requests.filter((load) => load.cmd === 'publish').length).to.equal(published);
    await h.http.post('/hook/big').set('X-Auth-Token', token).set('Content-Type', 'application/json').send('{"n": -9223372036854775809}').expect(400);
  });

  it('keeps the order of runner keyword arguments with integer-like names on the wire to the master', async () => {
    await post('[{"client": "runner", "fun": "test.arg", "kwarg": {"b": 1, "10": 2, "9": 3}, "arg": ["z=1", "5=x"], "7": 0, "a": 0}]');
    const runner = h.sandbox.requests.filter((load) => load.cmd === 'runner').at(-1) as SaltMap;
    const { arg, kwarg } = runner.kwarg as { arg: SaltValue[]; kwarg: SaltMap };
    expect(arg).to.deep.equal(['5=x']);
    expect(orderedKeys(kwarg)).to.deep.equal(['z', 'b', '10', '9', '7', 'a']);
  });
});

describe('Python fidelity: numeric minion ids', function () {
  this.timeout(20000);
  let h: Harness;
  before(async () => {
    // The minion with the smaller id answers later: JavaScript would list it first anyway.
    h = await startHarness({ sandbox: { minions: { '10': {}, '9': { delay: 0.3 }, 'minion-a': {} } } });
  });
  after(() => h.close());

  it('lists the returns in the order they arrived on the bus, as salt-api does', async () => {
    const token = await login(h);
    const stream = await openSse(h.url, `/events?token=${token}&tag=${encodeURIComponent('salt/job/*/ret/*')}`);
    try {
      const res = await h.http
        .post('/')
        .set('X-Auth-Token', token)
        .set('Accept', 'application/json')
        .set('Content-Type', 'application/json')
        .send('[{"client": "local", "tgt": "*", "fun": "test.ping"}]')
        .expect(200);
      await stream.waitFor((text) => (text.match(/^tag: salt\/job\/.*\/ret\//gm) ?? []).length >= 3);
      const arrived = stream.events().map((block) => (JSON.parse(block.data!) as { data: { id: string } }).data.id);
      expect(arrived).to.include.members(['10', '9', 'minion-a']);
      const listed = [...res.text.matchAll(/"([^"]+)": true/g)].map((m) => m[1]);
      expect(listed).to.deep.equal(arrived);
      expect(listed.indexOf('9'), 'the slow minion 9 answered last').to.equal(2);
    } finally {
      stream.close();
    }
  });
});

describe('Python fidelity, unit by unit', () => {
  describe('msgpack decoding', () => {
    it('keeps ints beyond 2^53 exact, as bigints, and the rest as numbers', () => {
      const cases: Array<[string, SaltValue]> = [
        ['cf0020000000000000', 2 ** 53],
        ['cf0020000000000001', 2n ** 53n + 1n],
        ['cf7fffffffffffffff', 2n ** 63n - 1n],
        ['cfffffffffffffffff', 2n ** 64n - 1n],
        ['d3ffe0000000000000', -(2 ** 53)],
        ['d3ffe0000000000001', -(2 ** 53) + 1],
        ['d3fffffffffffffffe', -2],
        ['d2ffffff85', -123],
        ['d180ff', -32513],
        ['d3ffdfffffffffffff', -(2n ** 53n) - 1n],
        ['d38000000000000000', -(2n ** 63n)],
        ['cf0000000100000000', 2 ** 32],
      ];
      for (const [hex, value] of cases) expect(unpack(Buffer.from(hex, 'hex')), hex).to.deep.equal(value);
    });

    it('keeps integer-valued floats as floats (float64 and float32), others as plain numbers', () => {
      const one = unpack(Buffer.from('cb3ff0000000000000', 'hex'));
      expect(one).to.be.instanceOf(PyFloat);
      expect(Number(one)).to.equal(1);
      expect((unpack(Buffer.from('cb8000000000000000', 'hex')) as PyFloat).value).to.equal(-0);
      expect(unpack(Buffer.from('ca40000000', 'hex'))).to.be.instanceOf(PyFloat);
      expect(unpack(Buffer.from('cb3ff8000000000000', 'hex'))).to.equal(1.5);
      expect(renderJson(unpack(Buffer.from('93cb3ff0000000000000cb8000000000000000cb4341c37937e08000', 'hex')))).to.equal('[1.0, -0.0, 1e+16]');
    });

    it('keeps the order of integer-like keys and the type of non-str keys', () => {
      // {"b": 1, "10": 2, "9": 3, 7: "int", None: 0}
      const decoded = unpack(Buffer.from('85a16201a2313002a1390307a3696e74c000', 'hex')) as SaltMap;
      expect(orderedKeys(decoded)).to.deep.equal(['b', '10', '9', '7', 'null']);
      expect(Object.keys(decoded)).to.have.members(['b', '10', '9', '7', 'null']);
      expect(renderJson(decoded)).to.equal('{"b": 1, "10": 2, "9": 3, "7": "int", "null": 0}');
      // Python cannot sort int and str keys together: PyYAML keeps the dict's order; keys keep their type.
      expect(renderYaml(decoded)).to.equal("b: 1\n'10': 2\n'9': 3\n7: int\nnull: 0\n");
      expect(pythonRepr(decoded)).to.equal("{'b': 1, '10': 2, '9': 3, 7: 'int', None: 0}");
      // Re-encoded byte for byte: order and key types survive.
      expect(packOldSpec(decoded).toString('hex')).to.equal('85a16201a2313002a1390307a3696e74c000');
    });

    it('sorts int keys as numbers in YAML, as Python does', () => {
      // {10: "ten", 9: "nine", 100: "hundred"}
      const decoded = unpack(Buffer.from('830aa374656e09a46e696e6564a768756e64726564', 'hex'));
      expect(renderYaml(decoded)).to.equal('9: nine\n10: ten\n100: hundred\n');
      expect(renderJson(decoded)).to.equal('{"10": "ten", "9": "nine", "100": "hundred"}');
    });

    it('keeps a `__proto__` key of the master as data, without touching any prototype', () => {
      const decoded = unpack(packNewSpec(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'))) as SaltMap;
      expect(Object.getPrototypeOf(decoded)).to.equal(Object.prototype);
      expect(Object.keys(decoded)).to.deep.equal(['__proto__', 'a']);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(renderJson(decoded)).to.equal('{"__proto__": {"polluted": true}, "a": 1}');
    });

    it('round-trips generated values through both specs without losing order, ints or floats', () => {
      const value = fc.letrec<{ v: SaltValue }>((tie) => ({
        v: fc.oneof(
          { depthSize: 'small' },
          fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }), fc.integer(), fc.double().map((d) => (Number.isInteger(d) ? new PyFloat(d) : d))),
          fc.string(),
          fc.array(tie('v'), { maxLength: 4 }),
          fc.array(fc.tuple(fc.oneof(fc.string(), fc.nat({ max: 20 }).map(String)), tie('v')), { maxLength: 5 }).map((entries) => {
            const map: SaltMap = {};
            for (const [k, v] of entries) setMember(map, k, v);
            return map;
          }),
        ),
      })).v;
      fc.assert(
        fc.property(value, (v) => {
          const bytes = packNewSpec(v);
          const decoded = unpack(bytes);
          expect(packNewSpec(decoded).equals(bytes)).to.equal(true);
          expect(renderJson(unpack(packOldSpec(v)))).to.equal(renderJson(decoded));
          // A stream cut short is incomplete; one that goes on ends where the value does.
          expect(decodeOne(bytes.subarray(0, bytes.length - 1))).to.equal(undefined);
          expect(decodeOne(Buffer.concat([bytes, Buffer.from([0xc0])]))?.end).to.equal(bytes.length);
        }),
        seeded(300),
      );
    });
  });

  describe('request bodies', () => {
    it('JSON: keeps the order of integer-like keys and ints beyond 2^53, as json.loads does', () => {
      const parsed = parseJson('{"b": 1, "10": [12345678901234567890, -9007199254740993, 9007199254740992], "9": {"2": 0, "1": 0}, "\\u0031": "one", "10": "again"}', OPTIONS) as SaltMap;
      expect(orderedKeys(parsed)).to.deep.equal(['b', '10', '9', '1']);
      expect(renderJson(parsed)).to.equal('{"b": 1, "10": "again", "9": {"2": 0, "1": 0}, "1": "one"}');
      const ints = parseJson('[12345678901234567890, -9007199254740993, 9007199254740992, 1e300]', OPTIONS);
      expect(ints).to.deep.equal([12345678901234567890n, -9007199254740993n, 9007199254740992, 1e300]);
      expect(renderJson(ints)).to.equal('[12345678901234567890, -9007199254740993, 9007199254740992, 1e+300]');
    });

    it('JSON: keeps the order of members JSON.parse would reorder, accepting exactly what JSON.parse accepts and reading the same values', () => {
      // Documents with integer-like member names (read by the order-keeping parser), some damaged.
      const texts = fc.tuple(fc.json(), fc.nat(), fc.string({ maxLength: 3 }), fc.boolean()).map(([text, at, junk, damage]) => {
        const whole = `{"x": ${text}, "10": [${text}], "9": ${text}}`;
        if (!damage) return whole;
        const i = at % (whole.length + 1);
        return whole.slice(0, i) + junk + whole.slice(i);
      });
      fc.assert(
        fc.property(texts, (text) => {
          let expected: unknown;
          try {
            expected = JSON.parse(text);
          } catch {
            expect(() => parseJson(text, OPTIONS), text).to.throw();
            return;
          }
          const parsed = parseJson(text, OPTIONS);
          // Same values (bigints aside, which JSON.parse rounds)…
          const plain = (value: unknown) => JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))) as unknown;
          expect(plain(parsed)).to.deep.equal(plain(expected));
          // …in the document's order.
          if (/^\{"x": .*, "10": \[.*\], "9": .*\}$/s.test(text) && Object.keys(parsed as object).length === 3) {
            expect(orderedKeys(parsed as object), text).to.deep.equal(['x', '10', '9']);
          }
        }),
        seeded(1000),
      );
    });

    it('YAML: keeps the order of integer-like keys and ints beyond 2^53', () => {
      const parsed = parseYaml('b: 1\n"10": 12345678901234567890\n9: [0x7fffffffffffffff, -9007199254740993]\na: {"2": x, "1": y}\n', OPTIONS) as SaltMap;
      expect(orderedKeys(parsed)).to.deep.equal(['b', '10', '9', 'a']);
      expect(renderJson(parsed)).to.equal('{"b": 1, "10": 12345678901234567890, "9": [9223372036854775807, -9007199254740993], "a": {"2": "x", "1": "y"}}');
    });

    it('YAML: keeps the type of keys that are not strings, for YAML output and for the master', () => {
      const parsed = parseYaml('9: nine\n10: ten\nx: [1]\n1.0: float\nnull: none\n', OPTIONS) as SaltMap;
      expect(renderJson(parsed)).to.equal('{"9": "nine", "10": "ten", "x": [1], "1.0": "float", "null": "none"}');
      // Python cannot sort int, str and None keys together: the dict's own order, keys as written.
      expect(renderYaml(parsed)).to.equal('9: nine\n10: ten\nx:\n- 1\n1.0: float\nnull: none\n');
      // msgpack.packb({9: 'nine', 10: 'ten', 'x': [1], 1.0: 'float', None: 'none'}, use_bin_type=False)
      expect(packOldSpec(parsed).toString('hex')).to.equal('8509a46e696e650aa374656ea1789101cb3ff0000000000000a5666c6f6174c0a46e6f6e65');
    });

    it('forms: keeps the order of integer-like field names', () => {
      expect(orderedKeys(parseForm('b=1&10=2&9=3&a=4'))).to.deep.equal(['b', '10', '9', 'a']);
    });
  });

  describe('key order of copies', () => {
    it('travels with spread copies; keys added before or after keep their place', () => {
      const source = parseJson('{"b": 1, "10": 2, "9": 3}', OPTIONS) as SaltMap;
      expect(orderedKeys({ ...source })).to.deep.equal(['b', '10', '9']);
      expect(orderedKeys({ __kwarg__: true, ...source })).to.deep.equal(['__kwarg__', 'b', '10', '9']);
      expect(orderedKeys({ ...source, token: 'x' })).to.deep.equal(['b', '10', '9', 'token']);
      const { b: _b, ...rest } = source;
      expect(orderedKeys(rest)).to.deep.equal(['10', '9']);
      const copy = { ...source };
      setMember(copy, '5', 0);
      expect(orderedKeys(copy)).to.deep.equal(['b', '10', '9', '5']);
      expect(orderedKeys(source), 'the original keeps its own order').to.deep.equal(['b', '10', '9']);
    });
  });

  describe("repr()", () => {
    const cases: Array<[SaltValue, string]> = [
      ["it's", `"it's"`],
      ['say "hi"', `'say "hi"'`],
      [`both ' and "`, `'both \\' and "'`],
      ['tab\tcr\rnl\nnul\0del\x7f', "'tab\\tcr\\rnl\\nnul\\x00del\\x7f'"],
      ['nbsp\u00a0zwsp\u200bsep\u2028é😀\u{e0041}', "'nbsp\\xa0zwsp\\u200bsep\\u2028é😀\\U000e0041'"],
      ['back\\slash', "'back\\\\slash'"],
      [0.00001, '1e-05'],
      [1e16, '1e+16'],
      [1e15 + 0.5, '1000000000000000.5'],
      [new PyFloat(1), '1.0'],
      [new PyFloat(-0), '-0.0'],
      [Infinity, 'inf'],
      [NaN, 'nan'],
      [2n ** 64n - 1n, '18446744073709551615'],
      [new Uint8Array([0x61, 0x27, 0x00, 0xff]), `b"a'\\x00\\xff"`],
      [parseJson('{"b": [null, true], "10": 1.5}', OPTIONS) as SaltValue, "{'b': [None, True], '10': 1.5}"],
    ];
    it('writes strings (quotes, escapes, printability), floats, ints, bytes and dicts as CPython does', () => {
      for (const [value, expected] of cases) expect(pythonRepr(value)).to.equal(expected);
    });
  });
});
