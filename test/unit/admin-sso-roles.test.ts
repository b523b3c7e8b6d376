import { expect } from 'chai';
import { mapRole } from '../../core/accounts/sso.ts';
import { parseRoleMap } from '../../admin/routes/sso.ts';

/** Single sign-on: which role a claim gives, and the form's way to write the mapping. */
describe('single sign-on role mapping', () => {
  const settings = { roleMap: { 'clarion-admins': 'admin', 'clarion-owners': 'owner', editors: 'editor' } as const, defaultRole: null };

  it('gives the highest role any value of the claim maps to', () => {
    expect(mapRole(['staff', 'editors', 'clarion-admins'], settings)).to.equal('admin');
    expect(mapRole(['clarion-owners', 'editors'], settings)).to.equal('owner');
    expect(mapRole('editors', settings)).to.equal('editor');
  });

  it('falls back to the default role, or to none, for unmapped, missing or odd claims', () => {
    expect(mapRole(['staff'], settings)).to.equal(null);
    expect(mapRole(undefined, settings)).to.equal(null);
    expect(mapRole([{ toString: () => 'clarion-admins' }, 7, null], settings)).to.equal(null);
    // Names of Object.prototype are not mappings.
    expect(mapRole(['constructor', '__proto__', 'toString'], settings)).to.equal(null);
    expect(mapRole(['staff'], { ...settings, defaultRole: 'viewer' })).to.equal('viewer');
  });

  it('reads "value = role" lines, values holding "=" or spaces included', () => {
    expect(parseRoleMap('clarion-admins = admin\n\n  cn=ops,dc=acme = editor \r\nviewers=viewer')).to.deep.equal({ 'clarion-admins': 'admin', 'cn=ops,dc=acme': 'editor', viewers: 'viewer' });
    expect(() => parseRoleMap('just a group')).to.throw(/claim value = role/);
  });
});
