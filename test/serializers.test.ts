/**
 * Wire formats: Accept negotiation as CherryPy does it, JSON and YAML output byte for byte as
 * salt-api sent it (bodies copied from test/fixtures/captures), request body parsing, Salt's
 * yamlify, and the limits that keep hostile YAML/JSON bodies cheap.
 */
import { expect } from 'chai';
import { ApiError } from '../src/errors.js';
import { yamlify } from '../src/salt/yamlify.js';
import {
  DEFAULT_YAML_LIMITS,
  SerializerRegistry,
  contentTypeOf,
  createDefaultRegistry,
  formSerializer,
  jsonSerializer,
  loadSafeYaml,
  parseForm,
  parseJson,
  parseText,
  parseYaml,
  renderJson,
  renderYaml,
  textSerializer,
  yamlSerializer,
  type Serializer,
} from '../serializers/index.js';

const OPTIONS = { maxDepth: 100 };

/** Run `fn`, expecting an ApiError; returns it for further checks. */
function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(ApiError);
    return error as ApiError;
  }
  expect.fail('expected an ApiError');
}

describe('serializers', () => {
  describe('Accept negotiation (CherryPy cptools.accept, §5.1)', () => {
    const registry = createDefaultRegistry();
    const table: [string | undefined, string][] = [
      [undefined, 'application/json'],
      ['', 'application/json'],
      ['application/json', 'application/json'],
      ['application/x-yaml', 'application/x-yaml'],
      // Equal q: the element text decides, in descending order, so YAML wins either way round.
      ['application/json, application/x-yaml', 'application/x-yaml'],
      ['application/x-yaml, application/json', 'application/x-yaml'],
      ['text/html, */*;q=0.8', 'application/json'],
      ['*/*', 'application/json'],
      ['application/*', 'application/json'],
      ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'application/json'],
      ['application/x-yaml;q=0.9, application/json;q=0.8', 'application/x-yaml'],
      ['application/json;q=0.9, application/x-yaml;q=0.8', 'application/json'],
      ['application/json; charset=utf-8', 'application/json'],
      ['application/x-yaml; q=1.0, application/json; q=0.5', 'application/x-yaml'],
      // `*/*` picks the first offer even though JSON itself was refused with q=0.
      ['application/json;q=0, */*', 'application/json'],
      ['application/json;q=0, application/x-yaml', 'application/x-yaml'],
      // A quoted parameter may hold `;` and `,` without splitting anything.
      ['text/html;level="a;b,c";q=0.5, application/json;q=0.4', 'application/json'],
    ];
    for (const [accept, expected] of table) {
      it(`${JSON.stringify(accept)} → ${expected}`, () => {
        expect(contentTypeOf(registry.negotiate(accept))).to.equal(expected);
      });
    }

    const refused = ['*/*;q=0', 'text/html', 'text/yaml', 'text/plain', 'text/*', 'application/json;q=0', 'Application/JSON'];
    for (const accept of refused) {
      it(`${JSON.stringify(accept)} → 406 naming the offered types`, () => {
        const error = apiError(() => registry.negotiate(accept));
        expect(error.status).to.equal(406);
        expect(error.message).to.equal(
          `Your client sent this Accept header: ${accept}. But this resource only emits these media types: application/json, application/x-yaml.`,
        );
      });
    }

    it('a q-value that is not a number is a 400, as in CherryPy', () => {
      const error = apiError(() => registry.negotiate('application/json;q=high'));
      expect(error.status).to.equal(400);
      expect(error.message).to.equal('Malformed HTTP header: `application/json;q=high`');
    });

    it('gives the same answer when the header is seen again (cached)', () => {
      const first = registry.negotiate('application/json, application/x-yaml');
      expect(registry.negotiate('application/json, application/x-yaml')).to.equal(first);
      expect(first).to.equal(yamlSerializer);
    });

    it('keeps answering correctly past the cache size', () => {
      for (let i = 0; i < 600; i++) {
        const accept = `application/x-yaml;q=0.${(i % 9) + 1}, application/json;q=0.${i % 9}`;
        expect(registry.negotiate(accept)).to.equal(yamlSerializer);
      }
    });
  });

  describe('registry', () => {
    it('finds parsers by media type only, case-insensitively, ignoring parameters', () => {
      const registry = createDefaultRegistry();
      expect(registry.parserFor('application/json')).to.equal(jsonSerializer);
      expect(registry.parserFor('Application/JSON; charset=utf-8')).to.equal(jsonSerializer);
      expect(registry.parserFor('application/x-yaml')).to.equal(yamlSerializer);
      expect(registry.parserFor('text/yaml;charset=UTF-8')).to.equal(yamlSerializer);
      expect(registry.parserFor('application/x-www-form-urlencoded; charset=utf-8')).to.equal(formSerializer);
      expect(registry.parserFor('text/plain')).to.equal(textSerializer);
      expect(registry.parserFor('multipart/form-data; boundary=x')).to.equal(undefined);
      expect(registry.parserFor('application/xml')).to.equal(undefined);
      expect(registry.parserFor(undefined)).to.equal(undefined);
    });

    it('lists media types and renderers in registration order', () => {
      const registry = createDefaultRegistry();
      expect(registry.mediaTypes()).to.deep.equal([
        'application/json',
        'application/x-yaml',
        'text/yaml',
        'application/x-www-form-urlencoded',
        'text/plain',
      ]);
      expect(registry.renderers()).to.deep.equal([jsonSerializer, yamlSerializer]);
    });

    it('accepts a custom format, which is then offered and negotiated', () => {
      const registry = createDefaultRegistry();
      expect(() => registry.negotiate('text/csv')).to.throw(ApiError);
      const csv: Serializer = {
        name: 'csv',
        mediaTypes: ['text/csv'],
        render: (value) => (value as unknown[][]).map((row) => row.join(',')).join('\n'),
      };
      registry.register(csv);
      const chosen = registry.negotiate('text/csv');
      expect(chosen).to.equal(csv);
      expect(contentTypeOf(chosen)).to.equal('text/csv');
      expect(chosen.render?.([[1, 2], [3, 4]])).to.equal('1,2\n3,4');
      expect(registry.parserFor('text/csv')).to.equal(undefined);
      expect(registry.renderers()).to.deep.equal([jsonSerializer, yamlSerializer, csv]);
      const error = apiError(() => registry.negotiate('image/png'));
      expect(error.message).to.contain('application/json, application/x-yaml, text/csv.');
    });

    it('lets a later registration take over a media type, keeping its place as the default', () => {
      const registry = createDefaultRegistry();
      const compactJson: Serializer = { name: 'compact-json', mediaTypes: ['application/json'], render: (v) => JSON.stringify(v) };
      registry.negotiate(undefined);
      registry.register(compactJson);
      expect(registry.negotiate(undefined)).to.equal(compactJson);
      expect(registry.parserFor('application/json')).to.equal(undefined);
      expect(registry.renderers()).to.deep.equal([compactJson, yamlSerializer]);
    });

    it('works from an empty registry', () => {
      const registry = new SerializerRegistry();
      expect(apiError(() => registry.negotiate(undefined)).status).to.equal(406);
      registry.register(yamlSerializer);
      expect(registry.negotiate('*/*')).to.equal(yamlSerializer);
    });
  });

  describe('JSON output (json.dumps, ensure_ascii=False)', () => {
    // Response bodies exactly as real salt-api sent them.
    const captured: Record<string, string> = {
      'cherrypy-00-root-get': '{"return": "Welcome", "clients": ["local", "local_async", "local_batch", "local_subset", "runner", "runner_async", "ssh", "wheel", "wheel_async"]}',
      'cherrypy-01-login-get': '{"status": null, "return": "Please log in"}',
      'cherrypy-02-login-auto-form':
        '{"return": [{"token": "469ca9a031da9b2529419f3d4120e313e165b153", "expire": 1795839552.5100288, "start": 1795796352.5100288, "user": "saltdev", "eauth": "auto", "perms": [".*", "@jobs", "@runner", "@wheel"]}]}',
      'cherrypy-05-local-args':
        '{"return": [{"minion-1": {"args": ["a", 1], "kwargs": {"k": "v", "__pub_fun": "test.arg", "__pub_arg": ["a", 1, {"__kwarg__": true, "k": "v"}], "__pub_tgt": "minion-1", "__pub_jid": "20261127161916504799", "__pub_ret": "", "__pub_tgt_type": "glob", "__pub_user": "saltdev"}}}]}',
      'cherrypy-05-local-test.ping-form': '{"return": [{"minion-2": true, "minion-1": true}]}',
      'cherrypy-05-local-glob-nomatch': '{"return": [{}]}',
      'cherrypy-07-runner-manage.status': '{"return": [{"up": ["minion-1", "minion-2"], "down": []}]}',
      'cherrypy-09-minions-post': '{"return": [{"jid": "20261127161924186465", "minions": ["minion-1", "minion-2"]}], "_links": {"jobs": [{"href": "/jobs/20261127161924186465"}]}}',
      'cherrypy-10-jobs-get-jid':
        '{"info": [{"jid": "20261127161924239819", "Function": "test.ping", "Arguments": [], "Target": "*", "Target-type": "glob", "User": "saltdev", "Minions": ["minion-1", "minion-2"], "StartTime": "2026, Nov 27 16:19:24.239819", "Result": {"minion-2": {"return": true, "retcode": 0, "success": true}, "minion-1": {"return": true, "retcode": 0, "success": true}}}], "return": [{"minion-2": true, "minion-1": true}]}',
      'cherrypy-13-hook-form': '{"success": true}',
      'cherrypy-14-token':
        '[{"start": 1795796368.358435, "expire": 1795839568.3584352, "name": "saltdev", "eauth": "auto", "token": "5f14cc13133d8a4f299fb09b6e9fba20fcaca35ed6dc8cd6752d7d30b2f1cdec"}]',
      'cherrypy-17-wheel-key.delete':
        '{"return": [{"tag": "salt/wheel/20261127161928800156", "data": {"fun": "wheel.key.delete", "jid": "20261127161928800156", "tag": "salt/wheel/20261127161928800156", "user": "saltdev", "_stamp": "2026-11-27T16:19:28.889075", "return": {}, "success": true}}]}',
    };
    for (const [name, body] of Object.entries(captured)) {
      it(`renders the body of ${name} byte for byte`, () => {
        expect(renderJson(JSON.parse(body))).to.equal(body);
      });
    }

    it('builds the test.ping form response from scratch', () => {
      expect(renderJson({ return: [{ 'minion-2': true, 'minion-1': true }] })).to.equal('{"return": [{"minion-2": true, "minion-1": true}]}');
    });

    it('writes non-ASCII raw and escapes like Python', () => {
      expect(renderJson({ name: 'Grüße ☃ 😀', ctl: 'a\nb\t"c"\\\u0001\u007f', ls: '\u2028' })).to.equal(
        '{"name": "Grüße ☃ 😀", "ctl": "a\\nb\\t\\"c\\"\\\\\\u0001\u007f", "ls": "\u2028"}',
      );
    });

    it('writes numbers as Python does', () => {
      // A plain number beyond 2^53 is a float: ints that large are bigints (python-values.ts).
      expect(renderJson([0, -0, 1, -7, 2 ** 53, 1e21, 1.5, 0.1, 1e-4, 1e-5, 1.5e-7, -2.5e-10, 1795839552.5739565])).to.equal(
        '[0, 0, 1, -7, 9007199254740992, 1e+21, 1.5, 0.1, 0.0001, 1e-05, 1.5e-07, -2.5e-10, 1795839552.5739565]',
      );
      expect(renderJson([NaN, Infinity, -Infinity, 12345678901234567890n])).to.equal('[NaN, Infinity, -Infinity, 12345678901234567890]');
    });

    it('writes bytes as UTF-8 text, invalid bytes as U+FFFD', () => {
      expect(renderJson({ raw: new Uint8Array([0x68, 0xc3, 0xa9, 0xff, 0x21]) })).to.equal('{"raw": "hé\ufffd!"}');
      expect(renderJson(Buffer.from('ok'))).to.equal('"ok"');
    });

    it('skips undefined members, writes undefined list items as null, empties compactly', () => {
      expect(renderJson({ a: undefined, b: [undefined], c: {}, d: [] })).to.equal('{"b": [null], "c": {}, "d": []}');
      expect(renderJson(undefined)).to.equal('null');
    });

    it('refuses values Python could not serialise with 500', () => {
      for (const value of [new Map(), new Date(0), () => 1, { nested: Symbol('x') }]) {
        const error = apiError(() => renderJson(value));
        expect(error.status).to.equal(500);
        expect(error.message).to.equal('Could not serialize the return data from Salt.');
      }
    });

    it('declares exactly application/json', () => {
      expect(contentTypeOf(jsonSerializer)).to.equal('application/json');
    });
  });

  describe('YAML output (safe_dump, default_flow_style=False)', () => {
    it('renders GET / as captured (cherrypy-00-root-get-yaml)', () => {
      const value: unknown = JSON.parse(
        '{"return": "Welcome", "clients": ["local", "local_async", "local_batch", "local_subset", "runner", "runner_async", "ssh", "wheel", "wheel_async"]}',
      );
      expect(renderYaml(value)).to.equal(
        'clients:\n- local\n- local_async\n- local_batch\n- local_subset\n- runner\n- runner_async\n- ssh\n- wheel\n- wheel_async\nreturn: Welcome\n',
      );
    });

    it('renders the login response as captured (cherrypy-02-login-auto-yaml)', () => {
      const value = {
        return: [
          {
            token: 'd4d46d711252247c60bce7d594254b1cbc8b3321',
            expire: 1795839552.5739565,
            start: 1795796352.5739563,
            user: 'saltdev',
            eauth: 'auto',
            perms: ['.*', '@jobs', '@runner', '@wheel'],
          },
        ],
      };
      expect(renderYaml(value)).to.equal(
        "return:\n- eauth: auto\n  expire: 1795839552.5739565\n  perms:\n  - .*\n  - '@jobs'\n  - '@runner'\n  - '@wheel'\n  start: 1795796352.5739563\n  token: d4d46d711252247c60bce7d594254b1cbc8b3321\n  user: saltdev\n",
      );
    });

    it('renders test.ping as captured (cherrypy-05-local-test.ping-yaml)', () => {
      expect(renderYaml({ return: [{ 'minion-2': true, 'minion-1': true }] })).to.equal('return:\n- minion-1: true\n  minion-2: true\n');
    });

    it('quotes strings that would read back as something else, and only those', () => {
      const quoted = ['20261127161330894169', '@jobs', '', 'yes', 'Off', 'null', '~', '1.5', '0x1f', '1:30', '2024-01-01', '<<', '=', '- a', 'a: b', '#x', 'a #b', '*x', '&x', '!x', '%x', '`x', '? x', ': x', '-', '---', '...', '[x', '{x', ' lead', 'trail '];
      for (const text of quoted) expect(renderYaml({ k: text }), text).to.equal(`k: '${text}'\n`);
      const plain = ['.*', 'minion-1', 'a:b', 'a#b', 'y', 'n', '1e3', '0o17', '09', 'x-y', 'a b', '-x', 'Grüße', 'path/to:1', 'salt/run/20261127161918778663'];
      for (const text of plain) expect(renderYaml({ k: text }), text).to.equal(`k: ${text}\n`);
      expect(renderYaml({ k: "it's" })).to.equal("k: it's\n");
      expect(renderYaml({ k: "'q'" })).to.equal("k: '''q'''\n");
    });

    it('writes multi-line text single-quoted with doubled line breaks', () => {
      expect(renderYaml({ out: 'line 1\nline 2' })).to.equal("out: 'line 1\n\n  line 2'\n");
      expect(renderYaml({ out: 'done\n' })).to.equal("out: 'done\n\n  '\n");
      expect(renderYaml({ return: [{ m: 'a\n\nb' }] })).to.equal("return:\n- m: 'a\n\n\n    b'\n");
    });

    it('double-quotes text with tabs, control characters or characters beyond the BMP', () => {
      expect(renderYaml({ k: 'a\tb' })).to.equal('k: "a\\tb"\n');
      expect(renderYaml({ k: 'bell\u0007 cr\r' })).to.equal('k: "bell\\a cr\\r"\n');
      expect(renderYaml({ k: 'smile 😀' })).to.equal('k: "smile \\U0001F600"\n');
      expect(renderYaml({ k: 'trailing space \n' })).to.equal('k: "trailing space \\n"\n');
    });

    it('writes scalars as PyYAML represents them', () => {
      expect(renderYaml({ a: null, b: true, c: false, d: 42, e: -1.5, f: 1e-5, g: NaN, h: Infinity, i: -Infinity, j: 2n ** 70n })).to.equal(
        'a: null\nb: true\nc: false\nd: 42\ne: -1.5\nf: 1.0e-05\ng: .nan\nh: .inf\ni: -.inf\nj: 1180591620717411303424\n',
      );
    });

    it('writes empty collections in flow style and nests the others in block style', () => {
      expect(renderYaml({ down: [], up: {}, deep: { list: [[1, 2], [{ a: 1, b: [] }]] } })).to.equal(
        'deep:\n  list:\n  - - 1\n    - 2\n  - - a: 1\n      b: []\ndown: []\nup: {}\n',
      );
      expect(renderYaml({})).to.equal('{}\n');
      expect(renderYaml([])).to.equal('[]\n');
      expect(renderYaml('Welcome')).to.equal('Welcome\n');
    });

    it('sorts keys by code point, as Python sorts str', () => {
      expect(renderYaml({ b: 1, B: 2, a: 3, '\uff01': 4, '\u{1f600}': 5, '': 6 })).to.equal("'': 6\nB: 2\na: 3\nb: 1\n！: 4\n\"\\U0001F600\": 5\n");
    });

    it('writes a container met twice once, with an anchor, then as an alias', () => {
      const shared = { id: 'x' };
      expect(renderYaml({ b: [shared, shared], a: shared, c: [] })).to.equal('a: &id001\n  id: x\nb:\n- *id001\n- *id001\nc: []\n');
    });

    it('writes objects YAML has no tag for as NULL, bytes as text, skips undefined members', () => {
      expect(renderYaml({ when: new Date(0), map: new Map(), raw: new Uint8Array([0x6f, 0x6b]), gone: undefined })).to.equal(
        'map: NULL\nraw: ok\nwhen: NULL\n',
      );
    });

    it('folds long text at 80 columns and writes long keys as complex keys', () => {
      const text = Array.from({ length: 20 }, (_, i) => `word${i}`).join(' ');
      expect(renderYaml({ text })).to.equal(
        'text: word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 word11 word12\n  word13 word14 word15 word16 word17 word18 word19\n',
      );
      const key = 'k'.repeat(129);
      expect(renderYaml({ [key]: 1 })).to.equal(`? ${key}\n: 1\n`);
      expect(renderYaml({ ['k'.repeat(128)]: 1 })).to.equal(`${'k'.repeat(128)}: 1\n`);
    });

    it('declares exactly application/x-yaml', () => {
      expect(contentTypeOf(yamlSerializer)).to.equal('application/x-yaml');
    });
  });

  describe('JSON input', () => {
    it('parses a lowstate', () => {
      expect(parseJson('[{"client": "local", "tgt": "*", "fun": "test.ping"}]', OPTIONS)).to.deep.equal([
        { client: 'local', tgt: '*', fun: 'test.ping' },
      ]);
    });

    it('refuses malformed JSON with 400 "Invalid JSON document"', () => {
      for (const text of ['{"a":', '{not json', "{'a': 1}", '[1,]', '']) {
        const error = apiError(() => parseJson(text, OPTIONS));
        expect(error.status).to.equal(400);
        expect(error.message).to.equal('Invalid JSON document');
      }
    });

    it('accepts nesting up to maxDepth and refuses one level more', () => {
      expect(parseJson('['.repeat(100) + ']'.repeat(100), OPTIONS)).to.be.an('array');
      expect(parseJson('{"a":'.repeat(100) + '1' + '}'.repeat(100), OPTIONS)).to.be.an('object');
      expect(apiError(() => parseJson('['.repeat(101) + ']'.repeat(101), OPTIONS)).status).to.equal(400);
      // Brackets inside strings are not nesting.
      expect(parseJson(JSON.stringify(['['.repeat(500), '\\"[[[']), OPTIONS)).to.have.length(2);
    });

    it('refuses a 100k-deep document quickly', () => {
      const started = Date.now();
      const error = apiError(() => parseJson('['.repeat(100_000) + ']'.repeat(100_000), OPTIONS));
      expect(error.status).to.equal(400);
      expect(error.message).to.equal('JSON document nests deeper than 100 levels');
      expect(Date.now() - started).to.be.below(200);
    });
  });

  describe('YAML input (Salt safe loader, YAML 1.1)', () => {
    const load = (text: string): unknown => parseYaml(text, OPTIONS);

    it('parses a lowstate in block style', () => {
      expect(load('- client: local\n  tgt: "*"\n  fun: test.ping\n  arg:\n  - 1\n')).to.deep.equal([
        { client: 'local', tgt: '*', fun: 'test.ping', arg: [1] },
      ]);
    });

    it('reads YAML 1.1 scalars the way Salt does', () => {
      expect(
        load(
          'a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: 010\nh: 0x1f\ni: 0b101\nj: 1:30\nk: 1_000\nl: 2024-01-01\nm: ~\nn: Null\no: 1.5\np: 1e3\nq: 1.0e+3\nr: .inf\ns: "010"\nt: 0o17\nu: -010\n',
        ),
      ).to.deep.equal({
        a: true,
        b: false,
        c: true,
        d: false,
        e: 'y',
        f: 'n',
        g: 10,
        h: 31,
        i: 5,
        j: 90,
        k: 1000,
        l: '2024-01-01',
        m: null,
        n: null,
        o: 1.5,
        p: '1e3',
        q: 1000,
        r: Infinity,
        s: '010',
        t: '0o17',
        u: -8,
      });
    });

    it('honours the standard explicit tags', () => {
      expect(load('a: !!str 5\nb: !!int "010"\nc: !!float "2"\nd: !!bool "yes"\ne: !!null x\nf: !!timestamp 2024-01-01 10:00:00\ng: ! 5\nh: !\n')).to.deep.equal({
        a: '5',
        b: 10,
        c: 2,
        d: true,
        e: null,
        f: '2024-01-01 10:00:00',
        g: 5,
        h: '',
      });
      expect(load('!!binary aGk=')).to.deep.equal(new Uint8Array([0x68, 0x69]));
    });

    it('merges `<<` keys like Salt: own keys win, merged keys come first', () => {
      expect(load('base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n  z: 4\n')).to.deep.equal({
        base: { x: 1, y: 2 },
        derived: { x: 1, y: 3, z: 4 },
      });
      expect(Object.keys(load('a: &a {p: 1}\nb: &b {q: 2}\nc:\n  own: 0\n  <<: [*a, *b]\n') as Record<string, Record<string, unknown>>)).to.deep.equal(['a', 'b', 'c']);
      expect(Object.keys((load('a: &a {p: 1}\nb: &b {q: 2}\nc:\n  own: 0\n  <<: [*a, *b]\n') as Record<string, Record<string, unknown>>).c ?? {})).to.deep.equal([
        'q',
        'p',
        'own',
      ]);
    });

    it('refuses duplicate keys, also when two merged mappings share one (Salt: "conflicting ID")', () => {
      for (const text of ['a: 1\na: 2\n', '{a: 1, a: 2}', 'x: &x {k: 1}\ny: &y {k: 2}\nz:\n  <<: [*x, *y]\n']) {
        const error = apiError(() => load(text));
        expect(error.status).to.equal(400);
        expect(error.message).to.equal('Invalid YAML document');
      }
    });

    it('refuses custom and Python tags with 400', () => {
      const hostile = [
        '!!python/object/apply:os.system ["touch /tmp/pwned"]',
        '- !!python/object:__main__.Exploit {}',
        'a: !!python/name:os.system',
        'a: !!python/unicode x',
        'a: !custom x',
        '!<tag:example.com,2000:x> y',
        '%TAG !e! tag:example.com,2000:\n--- !e!thing x',
        'a: !!set {x}',
      ];
      for (const text of hostile) {
        const error = apiError(() => load(text));
        expect(error.status, text).to.equal(400);
        expect(error.message, text).to.match(/^YAML tag .* is not allowed$/);
      }
    });

    it('answers invalid YAML with 400 "Invalid YAML document"', () => {
      for (const text of ['a: [1, 2', 'key: value\n  bad: indent', 'a: *undefined', 'one\n---\ntwo', 'a: &x 1\nb: &x 2', '? [a]\n: 1', 'a: =', 'x: !!int abc']) {
        const error = apiError(() => load(text));
        expect(error.status, text).to.equal(400);
        expect(error.message, text).to.equal('Invalid YAML document');
      }
    });

    it('reads an empty document as null', () => {
      expect(load('')).to.equal(null);
      expect(load('# nothing here\n')).to.equal(null);
    });

    it('refuses a 600-byte alias bomb within a second and without allocating', () => {
      const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (const [name, previous] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f'], ['h', 'g'], ['i', 'h'], ['j', 'i'], ['k', 'j']]) {
        lines.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
      }
      const bomb = lines.join('\n');
      expect(bomb.length).to.be.within(400, 700);
      const heapBefore = process.memoryUsage().heapUsed;
      const started = Date.now();
      const error = apiError(() => load(bomb));
      expect(Date.now() - started).to.be.below(1000);
      expect(process.memoryUsage().heapUsed - heapBefore).to.be.below(50 * 1024 * 1024);
      expect(error.status).to.equal(400);
      expect(error.message).to.equal('YAML aliases expand the document beyond 1000000 nodes');
    });

    it('caps the number of aliases and refuses recursive ones', () => {
      const many = `a: &a x\nb: [${Array(DEFAULT_YAML_LIMITS.maxAliases + 1).fill('*a').join(', ')}]`;
      expect(apiError(() => load(many)).message).to.equal('YAML document uses more than 1000 aliases');
      expect(load(`a: &a x\nb: [${Array(10).fill('*a').join(', ')}]`)).to.deep.equal({ a: 'x', b: Array(10).fill('x') });
      expect(apiError(() => load('&a [*a]')).message).to.equal('YAML document contains a recursive alias');
    });

    it('caps nesting depth, aliases expanded, and refuses 100k levels quickly', () => {
      expect(load('['.repeat(100) + ']'.repeat(100))).to.be.an('array');
      expect(apiError(() => load('['.repeat(101) + ']'.repeat(101))).message).to.equal('YAML document nests deeper than 100 levels');
      const block = (levels: number): string => Array.from({ length: levels }, (_, i) => `${'  '.repeat(i)}k:`).join('\n') + ' 1';
      expect(load(block(100))).to.be.an('object');
      expect(apiError(() => load(block(101))).status).to.equal(400);
      const viaAlias = `a: &a ${'['.repeat(60)}${']'.repeat(60)}\nb: ${'['.repeat(50)}*a${']'.repeat(50)}`;
      expect(apiError(() => load(viaAlias)).message).to.equal('YAML document nests deeper than 100 levels');
      const started = Date.now();
      expect(apiError(() => load('['.repeat(100_000))).status).to.equal(400);
      expect(apiError(() => load('- '.repeat(100_000) + 'x')).status).to.equal(400);
      expect(Date.now() - started).to.be.below(1000);
    });

    it('keeps a `__proto__` key as data', () => {
      const value = load('__proto__: {polluted: true}') as Record<string, unknown>;
      expect(Object.getPrototypeOf(value)).to.equal(Object.prototype);
      expect(Object.keys(value)).to.deep.equal(['__proto__']);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });

    it('loadSafeYaml applies its default limits', () => {
      expect(loadSafeYaml('a: [1, {b: yes}]')).to.deep.equal({ a: [1, { b: true }] });
    });
  });

  describe('urlencoded input (§4.2)', () => {
    it('reads the captured form bodies', () => {
      expect(parseForm('username=saltdev&password=saltdev&eauth=auto')).to.deep.equal({ username: 'saltdev', password: 'saltdev', eauth: 'auto' });
      expect(parseForm('client=local&tgt=*&fun=test.ping')).to.deep.equal({ client: 'local', tgt: '*', fun: 'test.ping' });
      expect(parseForm('foo=bar&baz=qux')).to.deep.equal({ foo: 'bar', baz: 'qux' });
    });

    it('drops empty values and pairs without a value', () => {
      expect(parseForm('arg=&fun=test.ping&flag')).to.deep.equal({ fun: 'test.ping' });
    });

    it('turns any repeated key into a list, in order', () => {
      expect(parseForm('tgt=b&tgt=a&fun=x')).to.deep.equal({ tgt: ['b', 'a'], fun: 'x' });
    });

    it('gives brackets no meaning', () => {
      expect(parseForm('arg[]=1&arg[]=2&a[b]=c')).to.deep.equal({ 'arg[]': ['1', '2'], 'a[b]': 'c' });
    });

    it('yamlifies every `arg`, always as a list', () => {
      expect(parseForm('arg=5')).to.deep.equal({ arg: [5] });
      expect(parseForm('arg=1&arg=yes&arg=a+b&arg=%5B1%2C2%5D&arg=b%3D1')).to.deep.equal({ arg: [1, true, 'a b', [1, 2], 'b=1'] });
    });

    it('yamlifies `kwarg` and leaves every other field a string', () => {
      expect(parseForm('kwarg=%7B%22a%22%3A+1%7D&full_return=false&timeout=5')).to.deep.equal({
        kwarg: { a: 1 },
        full_return: 'false',
        timeout: '5',
      });
      expect(parseForm('kwarg=x%3D1')).to.deep.equal({ kwarg: 'x=1' });
      expect(parseForm('kwarg=a&kwarg=b')).to.deep.equal({ kwarg: ['a', 'b'] });
    });

    it('decodes percent-escapes and `+`, keeps a leading `?` and `__proto__` as data', () => {
      expect(parseForm('msg=caf%C3%A9+ol%C3%A9&%3Fq=1&?x=2')).to.deep.equal({ msg: 'café olé', '?q': '1', '?x': '2' });
      const data = parseForm('__proto__=x');
      expect(Object.getPrototypeOf(data)).to.equal(Object.prototype);
      expect(data['__proto__']).to.equal('x');
    });

    it('refuses percent-escapes that are not UTF-8 with 400, keeps a stray `%` as text', () => {
      for (const body of ['username=%ff', 'a=%C3', 'a=%ED%A0%80', '%fe=x']) {
        expect(() => parseForm(body), body).to.throw().with.property('status', 400);
      }
      expect(parseForm('a=100%&b=%zz%4')).to.deep.equal({ a: '100%', b: '%zz%4' });
    });

    it('has no renderer', () => {
      expect(formSerializer.render).to.equal(undefined);
    });
  });

  describe('text/plain input', () => {
    it('is JSON when the text is JSON, the text itself otherwise', () => {
      expect(parseText('[{"fun": "test.ping"}]', OPTIONS)).to.deep.equal([{ fun: 'test.ping' }]);
      expect(parseText('"quoted"', OPTIONS)).to.equal('quoted');
      expect(parseText('client=local', OPTIONS)).to.equal('client=local');
      expect(parseText('{broken', OPTIONS)).to.equal('{broken');
    });

    it('keeps a too-deep JSON text as text instead of parsing it', () => {
      const deep = '['.repeat(200) + ']'.repeat(200);
      expect(parseText(deep, OPTIONS)).to.equal(deep);
      expect(textSerializer.render).to.equal(undefined);
    });
  });

  describe('yamlify (salt.utils.args.yamlify_arg)', () => {
    const cases: [string, unknown][] = [
      ['true', true],
      ['yes', true],
      ['on', true],
      ['no', false],
      ['5', 5],
      ['1.5', 1.5],
      ['0x1f', 31],
      ['010', 10],
      ['None', null],
      ['null', null],
      ['~', null],
      ['2024-01-01', '2024-01-01'],
      ['a: 1', 'a: 1'],
      ['- a', '- a'],
      ['{a: [1]}', { a: [1] }],
      ['[1, 2]', [1, 2]],
      ['{"a": 1}', { a: 1 }],
      ['1_000', '1_000'],
      ['#x', '#x'],
      ['a#b', 'a#b'],
      ['a: 1 # note', { a: 1 }],
      ['!', '!'],
      ['|', '|'],
      ['', ''],
      ['   ', '   '],
      ['---', '---'],
      ['...', '...'],
      ['a\tb', 'a\tb'],
      ['a\rb', 'a\rb'],
      ['5\n', '5\n'],
      ['b=1', 'b=1'],
      ['x', 'x'],
      ["'quoted'", 'quoted'],
      ['[1, 2', '[1, 2'],
      ['!!binary aGk=', '!!binary aGk='],
      ['!!python/object:os.system x', '!!python/object:os.system x'],
      ['&a [*a]', '&a [*a]'],
    ];
    for (const [input, expected] of cases) {
      it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
        expect(yamlify(input)).to.deep.equal(expected);
      });
    }
  });
});
