import { expect } from 'chai';
import { ClarionError } from '../../core/errors.ts';
import { numberProblem, parseJson, parseJsonBody, scanJson, stringProblem } from '../../core/ingest/json.ts';
import { MAX_JSON_DEPTH, MAX_REPORTED_PROBLEMS } from '../../core/ingest/limits.ts';

const nest = (levels: number, leaf = '1') => '{"a":'.repeat(levels) + leaf + '}'.repeat(levels);
const pointers = (text: string, maxDepth = MAX_JSON_DEPTH) => scanJson(text, maxDepth).problems.map((p) => p.pointer);

describe('the JSON scan (core/ingest/json.ts)', () => {
  describe('numbers', () => {
    for (const kept of ['0', '-0', '1.0', '1e2', '0.1', '12.50', '9007199254740992', '12345678901234567000', '6.02e23', '1.7976931348623157e308', '5e-324', '-123456789012345.6', '1E-7']) {
      it(`keeps ${kept}: it reads back as the same decimal value`, () => expect(numberProblem(kept)).to.equal(undefined));
    }
    const refused: Array<[string, RegExp]> = [
      ['1e400', /beyond the range/],
      ['-1e400', /beyond the range/],
      ['1e-400', /stored as 0/],
      ['12345678901234567890', /stored as 12345678901234567000/],
      ['9007199254740993', /stored as 9007199254740992/],
      ['0.10000000000000000001', /stored as 0\.1 /],
    ];
    for (const [token, message] of refused) {
      it(`refuses ${token}`, () => expect(numberProblem(token)).to.match(message).and.match(/send it as a string/));
    }
    it('shortens a huge number in the message', () => {
      expect(numberProblem('9'.repeat(5000))!.length).to.be.below(200);
    });
  });

  describe('strings', () => {
    it('finds NUL and unpaired surrogates in decoded strings', () => {
      expect(stringProblem('a\u0000b')).to.match(/NUL/);
      expect(stringProblem('a\ud800b')).to.match(/surrogate/);
      expect(stringProblem('a\udc00')).to.match(/surrogate/);
      expect(stringProblem('😀 \u0001 é')).to.equal(undefined);
    });

    it('finds them escaped or raw in JSON text, in values and in keys, naming each place', () => {
      const text = String.raw`{"id":"a\u0000","list":["ok","\ud800x","\udc00"],"k\u0000":1,"raw":"` + '\ud800' + String.raw`","fine":"\ud83d\ude00` + '😀"}';
      const scan = scanJson(text, MAX_JSON_DEPTH);
      expect(scan.problems).to.deep.equal([
        { pointer: '/id', message: 'must not contain the NUL character (\\u0000)' },
        { pointer: '/list/1', message: 'must not contain an unpaired UTF-16 surrogate (\\ud800-\\udfff)' },
        { pointer: '/list/2', message: 'must not contain an unpaired UTF-16 surrogate (\\ud800-\\udfff)' },
        { pointer: '/k\u0000', message: 'name must not contain the NUL character (\\u0000)' },
        { pointer: '/raw', message: 'must not contain an unpaired UTF-16 surrogate (\\ud800-\\udfff)' },
      ]);
      expect([...scan.roots]).to.deep.equal(['id', 'list', 'k\u0000', 'raw']);
    });

    it('is not fooled by brackets, quotes and escapes inside strings', () => {
      expect(pointers(String.raw`{"a":"[{\"}]\\","b":[1,{"c":"\u0000"}]}`)).to.deep.equal(['/b/1/c']);
    });

    it('escapes ~ and / in pointers (RFC 6901)', () => {
      expect(pointers(String.raw`{"a/b":{"c~d":"\u0000"}}`)).to.deep.equal(['/a~1b/c~0d']);
    });
  });

  describe('depth', () => {
    it('allows the limit and refuses one level more, pointing where it is crossed', () => {
      expect(scanJson(nest(MAX_JSON_DEPTH), MAX_JSON_DEPTH).tooDeep).to.equal(false);
      const scan = scanJson(nest(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH);
      expect(scan.tooDeep).to.equal(true);
      expect(scan.problems).to.deep.equal([{ pointer: '/a'.repeat(MAX_JSON_DEPTH), message: `nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels` }]);
    });

    it('scans a million levels without recursion, and goes on after a too-deep value', () => {
      const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
      const scan = scanJson(`[${deep},{"x":"\\u0000"},${nest(2)}]`, 3);
      expect(scan.problems.map((p) => p.pointer)).to.deep.equal(['/0/0/0', '/1/x']);
      expect([...scan.roots]).to.deep.equal(['0', '1']);
    });
  });

  it(`reports at most ${MAX_REPORTED_PROBLEMS} problems, but every root`, () => {
    const text = `[${Array.from({ length: 500 }, () => '"\\u0000"').join(',')}]`;
    const scan = scanJson(text, MAX_JSON_DEPTH);
    expect(scan.problems).to.have.length(MAX_REPORTED_PROBLEMS);
    expect(scan.roots.size).to.equal(500);
  });

  it('parseJson: malformed JSON is a 400 whatever the scan found', () => {
    for (const text of ['{"a": "\\u0000"', '[1e400', '', '{]']) {
      expect(() => parseJson(text)).to.throw(ClarionError).with.property('code', 'CLARION_ERR_HTTP_MALFORMED_JSON');
    }
  });

  it('parseJsonBody: refuses with a code per kind, naming every place', () => {
    const deep = (() => {
      try {
        parseJsonBody(`{"x":${nest(10_000)}}`);
      } catch (err) {
        return err as ClarionError;
      }
    })();
    expect(deep).to.include({ code: 'CLARION_ERR_HTTP_JSON_TOO_DEEP', status: 400 });
    expect(deep!.errors[0].pointer).to.equal(`/x${'/a'.repeat(MAX_JSON_DEPTH - 1)}`);
    expect(() => parseJsonBody('{"n": 1e400, "s": "\\ud800"}')).to.throw(ClarionError).that.satisfies((err: ClarionError) => {
      expect(err.code).to.equal('CLARION_ERR_HTTP_JSON_UNSTORABLE');
      expect(err.errors.map((e) => e.pointer)).to.deep.equal(['/n', '/s']);
      return true;
    });
    expect(parseJsonBody('{"n": 1.5, "s": "\\ud83d\\ude00"}')).to.deep.equal({ n: 1.5, s: '😀' });
  });
});
