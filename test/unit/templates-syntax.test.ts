import { expect } from 'chai';
import { extractParts } from '../../core/templates/blocks.ts';
import { FILTER_NAMES, TEST_NAMES } from '../../core/templates/names.ts';
import { syntaxProblem } from '../../core/templates/validate.ts';

/**
 * Template errors found at save: each with the line and column (1-based) of what the author has
 * to fix, including where nunjucks itself only sees the end of the source.
 */
describe('template syntax problems', () => {
  const cases: Array<{ kind: string; source: string; line: number; column: number; message: RegExp; name?: string }> = [
    // Left open: reported where it was opened.
    { kind: 'unclosed variable', source: 'Order {{ data.orderId ', line: 1, column: 7, message: /^this \{\{ is never closed with \}\}$/, name: '{{' },
    { kind: 'unclosed variable on a later line', source: 'Hello\n\n  {{ data.orderId | upper', line: 3, column: 3, message: /never closed with \}\}/, name: '{{' },
    { kind: 'unclosed variable after a dot', source: 'a {{ x.', line: 1, column: 3, message: /never closed with \}\}/ },
    { kind: 'unclosed string', source: 'x\n{{ "abc }}', line: 2, column: 1, message: /never closed with \}\} \(a quoted string in it is not closed either\)/ },
    { kind: 'unclosed tag', source: 'ok\n{% if data.x ', line: 2, column: 1, message: /^this \{% if tag is never closed with %\}$/, name: 'if' },
    { kind: 'unclosed set tag', source: '{% set x = 1', line: 1, column: 1, message: /\{% set tag is never closed/, name: 'set' },
    { kind: 'unclosed if', source: 'a\n  {% if x %}\nb', line: 2, column: 3, message: /^this \{% if %\} is never closed with \{% endif %\}$/, name: 'if' },
    { kind: 'unclosed for inside a closed if', source: '{% if x %}{% endif %}\n{% for i in xs %}{{ i }}', line: 2, column: 1, message: /\{% for %\} is never closed with \{% endfor %\}/, name: 'for' },
    { kind: 'the innermost unclosed block', source: '{% if a %}\n{% for i in xs %}\n{% endfor %}\n{% if b %}\n{% endif %}', line: 1, column: 1, message: /\{% if %\} is never closed/ },
    { kind: 'unclosed block set', source: 'x {% set greeting %}Hi', line: 1, column: 3, message: /\{% set %\} is never closed with \{% endset %\}/ },
    { kind: 'unclosed comment', source: 'a\nb {# note', line: 2, column: 3, message: /comment is never closed with #\}/, name: '{#' },
    { kind: 'stray comment end', source: 'a #} b', line: 1, column: 3, message: /#\} closes no comment/, name: '#}' },
    { kind: 'unclosed raw', source: 'a\n{% raw %}{{ x }}', line: 2, column: 1, message: /\{% raw %\} is never closed with \{% endraw %\}/, name: 'raw' },
    // Block ends and tags nunjucks does not know.
    { kind: 'unknown block end', source: 'x\n   {% endif %}', line: 2, column: 7, message: /^\{% endif %\} closes nothing: there is no open \{% if %\}$/, name: 'endif' },
    { kind: 'mismatched block end', source: '{% if x %}\n{% else %}\n{% endfor %}', line: 3, column: 4, message: /\{% endfor %\} closes nothing/, name: 'endfor' },
    { kind: 'else outside if', source: 'a {% else %} b', line: 1, column: 6, message: /\{% else %\} belongs inside \{% if or for %\}/, name: 'else' },
    { kind: 'unknown tag', source: 'a\n{% nosuchtag %}', line: 2, column: 4, message: /^unknown tag \{% nosuchtag %\} \(the tags are if, elif, else, for, set/, name: 'nosuchtag' },
    // Bad expressions: nunjucks' own position.
    { kind: 'bad expression', source: 'Total: {{ 1 + }}', line: 1, column: 15, message: /^unexpected token: \}\}$/ },
    { kind: 'missing operator', source: '{{ a b }}', line: 1, column: 6, message: /expected variable end/ },
    { kind: 'empty filter', source: 'x\n{{ data.amount | }}', line: 2, column: 18, message: /expected symbol, got variable-end/ },
    { kind: 'unclosed parenthesis', source: '{{ (a }}', line: 1, column: 4, message: /^expected comma after expression$/ },
    { kind: 'if without a condition', source: '{% if %}x{% endif %}', line: 1, column: 7, message: /unexpected token: %\}/ },
    // Names only resolved at render time.
    { kind: 'unknown filter', source: 'Hi\n{{ subscriber.name | nosuchfilter }}', line: 2, column: 22, message: /^unknown filter "nosuchfilter" \(the filters are abs, batch/, name: 'nosuchfilter' },
    { kind: 'unknown filter with arguments', source: '{{ x | upper | shout(2) }}', line: 1, column: 16, message: /unknown filter "shout"/, name: 'shout' },
    { kind: 'unknown filter block', source: '{% filter nosuch %}a{% endfilter %}', line: 1, column: 11, message: /unknown filter "nosuch"/, name: 'nosuch' },
    { kind: 'unknown test', source: '{% if x is nosuchtest %}a{% endif %}', line: 1, column: 12, message: /^unknown test "nosuchtest" \(the tests are /, name: 'nosuchtest' },
    { kind: 'unknown test with arguments', source: '{% if x is multipleof(3) %}a{% endif %}', line: 1, column: 12, message: /unknown test "multipleof"/, name: 'multipleof' },
  ];

  for (const c of cases) {
    it(`${c.kind}: line ${c.line}, column ${c.column}`, () => {
      const problem = syntaxProblem('text', c.source);
      expect(problem, c.source).to.not.equal(undefined);
      expect({ line: problem!.line, column: problem!.column }, `${c.source}: ${problem!.message}`).to.deep.equal({ line: c.line, column: c.column });
      expect(problem!.message).to.match(c.message);
      if (c.name !== undefined) expect(problem!.name).to.equal(c.name);
    });
  }

  it('accepts what is valid, whatever the known filters, tests and tags it uses', () => {
    const valid = [
      '{{ x | upper | truncate(10) }} {{ d | date("long") }} {{ n | currency("EUR") }} {{ n | number(2) }} {{ u | httpUrl }} {{ c | cssColor("#fff") }} {{ v | json }} {{ t | mrkdwn }}',
      '{% if x is defined and y is not odd and z is divisibleby(3) %}a{% elif w %}b{% else %}c{% endif %}',
      '{% for i in xs %}{{ loop.index }}{% else %}none{% endfor %}',
      '{% set a = 1 %}{% set b %}B{% endset %}{% macro m(x) %}{{ x }}{% endmacro %}{{ m(1) }}{% call m(2) %}{% endcall %}',
      '{% raw %}{{ not a variable {% if %}{% endraw %} {% filter upper %}x{% endfilter %}',
      '{# a comment #} {{ "a string with }} inside" }} {{ x }}}',
    ];
    for (const source of valid) expect(syntaxProblem('text', source), source).to.equal(undefined);
  });

  it('gives positions in the file for the parts of a bundled channel file', () => {
    const { parts } = extractParts('{% block subject %}Hi{% endblock %}\n\n{% block text %}\nline one\n  {{ x | nosuchfilter }}\n{% endblock %}\n{% block html %}<p>{% if y %}</p>{% endblock %}');
    expect(syntaxProblem('text', parts.text)).to.include({ line: 5, column: 10, name: 'nosuchfilter' });
    expect(syntaxProblem('html', parts.html)).to.include({ line: 7, column: 20, name: 'if' });
  });

  it('lists the filters and tests it knows, Clarion\'s own included', () => {
    expect(FILTER_NAMES).to.include.members(['date', 'time', 'datetime', 'relative', 'number', 'currency', 'percent', 'json', 'mrkdwn', 'cssColor', 'httpUrl', 'upper', 'default', 'join', 'truncate']);
    expect(TEST_NAMES).to.include.members(['defined', 'undefined', 'odd', 'even', 'divisibleby', 'string', 'number']);
  });
});
