import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { ERROR_CATALOGUE } from '../../core/errors.ts';

describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `(CLARION_ERR_[A-Z0-9_]+)` \| ([^|]+) \|/gm)].map((m) => ({ code: m[1], status: m[2].trim() }));

  it('lists exactly the codes of core/errors.ts', () => {
    expect(rows.map((r) => r.code).sort()).to.deep.equal(Object.keys(ERROR_CATALOGUE).sort());
  });

  it('gives each HTTP error its status', () => {
    for (const { code, status } of rows) {
      const expected = ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE].status;
      if (/^\d+$/.test(status)) expect(Number(status), code).to.equal(expected);
    }
  });

  it('names codes in the CLARION_ERR_<AREA>_<WHAT> form', () => {
    for (const code of Object.keys(ERROR_CATALOGUE)) expect(code).to.match(/^CLARION_ERR_[A-Z]+_[A-Z0-9_]+$/);
  });
});
