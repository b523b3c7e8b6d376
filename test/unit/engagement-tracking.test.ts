import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { signTracking, trackingUrls, verifyTracking } from '../../core/analytics/links.ts';
import { isPrefetchedClick, isPrefetchedOpen, truncateIp, userAgent } from '../../core/analytics/privacy.ts';
import { rewriteHtml, trackEmail, trackingFor } from '../../core/delivery/tracking.ts';
import { ClarionError } from '../../core/errors.ts';

describe('email tracking (unit)', () => {
  const own = 'https://clarion.example.com';
  const click = (target: string) => `${own}/v1/track/click/${encodeURIComponent(target)}`;

  describe('rewriteHtml', () => {
    it('rewrites a and area hrefs to http(s), whatever the quoting and case, reading entities as a browser does', () => {
      const html = `<a class="x" href="https://a.example/?q=1&amp;r=2">A</a><A HREF='http://b.example'>B</A><a href=http://c.example/x>C</a><map><area href="https://d.example/"></map>`;
      expect(rewriteHtml(html, { click, own })).to.equal(
        `<a class="x" href="${own}/v1/track/click/https%3A%2F%2Fa.example%2F%3Fq%3D1%26r%3D2">A</a>` +
          `<A href="${own}/v1/track/click/http%3A%2F%2Fb.example%2F">B</A>` +
          `<a href="${own}/v1/track/click/http%3A%2F%2Fc.example%2Fx">C</a>` +
          `<map><area href="${own}/v1/track/click/https%3A%2F%2Fd.example%2F"></map>`,
      );
    });

    it('leaves alone links that are not the web, marked off, Clarion\'s own, or too long', () => {
      const long = `https://a.example/${'x'.repeat(2100)}`;
      const html = `<a href="mailto:a@b.example">m</a><a href="tel:+1">t</a><a href="#x">#</a><a href="/relative">r</a><a href="javascript:alert(1)">j</a>` +
        `<a href="https://a.example" data-clarion-track="OFF">off</a><a href="${own}/v1/links/unsubscribe/tok">u</a><a href="${own}/v1/track/click/tok">c</a><a href="${long}">l</a><a>none</a><link href="https://a.example/style.css">`;
      expect(rewriteHtml(html, { click, own })).to.equal(html);
    });

    it('writes a rewritten target back escaped, so the attribute cannot be broken out of', () => {
      const out = rewriteHtml('<a href="https://a.example/&quot;onmouseover=&quot;x">a</a>', { click: (t) => `${own}/go?u=${t}`, own });
      expect(out).to.equal(`<a href="${own}/go?u=https://a.example/%22onmouseover=%22x">a</a>`);
    });

    it('adds the pixel before the last </body>, or at the end without one', () => {
      expect(rewriteHtml('<html><body>hi</BODY ></html>', { open: `${own}/o?a=1&b=2`, own })).to.equal(
        `<html><body>hi<img src="${own}/o?a=1&amp;b=2" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" /></BODY ></html>`,
      );
      expect(rewriteHtml('<p>hi</p>', { open: `${own}/o`, own })).to.match(/^<p>hi<\/p><img src=/);
    });

    it('signs the link for this delivery: the redirect token verifies and names the target', () => {
      const secret = randomBytes(32);
      const out = trackEmail('<a href="https://a.example/x">x</a>', { secret, publicUrl: own, deliveryId: 'd-1', opens: false, clicks: true });
      const token = /\/v1\/track\/click\/([^"]+)"/.exec(out)![1];
      expect(verifyTracking(secret, 'click', token)).to.deep.equal({ p: 'click', d: 'd-1', u: 'https://a.example/x' });
      expect(trackEmail('<a href="https://a.example/x">x</a>', { secret, publicUrl: own, deliveryId: 'd-1', opens: false, clicks: false })).to.equal('<a href="https://a.example/x">x</a>');
    });
  });

  describe('trackingFor', () => {
    it("takes the workflow's setting, else the tenant's, which critical workflows never inherit", () => {
      expect(trackingFor({ priority: 'normal' }, undefined)).to.deep.equal({ opens: false, clicks: false });
      expect(trackingFor({ priority: 'normal' }, { opens: true })).to.deep.equal({ opens: true, clicks: false });
      expect(trackingFor({ priority: 'normal', tracking: { opens: false } }, { opens: true, clicks: true })).to.deep.equal({ opens: false, clicks: true });
      expect(trackingFor({ priority: 'critical' }, { opens: true, clicks: true })).to.deep.equal({ opens: false, clicks: false });
      expect(trackingFor({ priority: 'critical', tracking: { clicks: true } }, { opens: true })).to.deep.equal({ opens: false, clicks: true });
    });
  });

  describe('tracking tokens', () => {
    const secret = randomBytes(32);
    const refused = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).to.be.instanceOf(ClarionError);
        expect((err as ClarionError).code).to.equal('CLARION_ERR_TRACKING_LINK_INVALID');
        expect((err as ClarionError).status).to.equal(400);
        return;
      }
      expect.fail('accepted');
    };

    it('refuses a token of another purpose, another key, a changed claim, or a non-web target', () => {
      const token = signTracking(secret, { p: 'click', d: 'd-1', u: 'https://a.example' });
      expect(verifyTracking(secret, 'click', token).u).to.equal('https://a.example');
      refused(() => verifyTracking(secret, 'open', token));
      refused(() => verifyTracking(randomBytes(32), 'click', token));
      const [, mac] = token.split('.');
      refused(() => verifyTracking(secret, 'click', `${Buffer.from(JSON.stringify({ p: 'click', d: 'd-1', u: 'https://b.example' })).toString('base64url')}.${mac}`));
      refused(() => verifyTracking(secret, 'click', signTracking(secret, { p: 'click', d: 'd-1', u: 'javascript:alert(1)' })));
      refused(() => verifyTracking(secret, 'click', ''));
      refused(() => verifyTracking(secret, 'click', `${'A'.repeat(5000)}.${mac}`));
    });

    it('makes the URLs under the public URL', () => {
      const urls = trackingUrls(secret, own, 'd-2');
      expect(urls.open).to.match(new RegExp(`^${own}/v1/track/open/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}$`));
      expect(urls.click('https://a.example')).to.match(new RegExp(`^${own}/v1/track/click/`));
    });
  });

  describe('privacy', () => {
    it('truncates addresses to their /24 or /48, and IPv4-mapped IPv6 to the IPv4 /24', () => {
      expect(truncateIp('203.0.113.77')).to.equal('203.0.113.0');
      expect(truncateIp('2001:db8:1:2:3:4:5:6')).to.equal('2001:db8:1::');
      expect(truncateIp('::ffff:198.51.100.9')).to.equal('198.51.100.0');
      expect(truncateIp('fe80::1%eth0')).to.equal('fe80::');
      expect(truncateIp('not an address')).to.equal(undefined);
      expect(truncateIp(undefined)).to.equal(undefined);
    });

    it('caps user agents and drops empty ones', () => {
      expect(userAgent('  ')).to.equal(undefined);
      expect(userAgent('x'.repeat(600))).to.have.length(512);
    });

    it('flags Apple Mail Privacy Protection style opens and scanner clicks', () => {
      expect(isPrefetchedOpen({ userAgent: 'Mozilla/5.0', ip: '203.0.113.1' })).to.equal(true);
      expect(isPrefetchedOpen({ userAgent: 'Mozilla/5.0 (iPhone) AppleWebKit', ip: '17.58.1.2' })).to.equal(true);
      expect(isPrefetchedOpen({ userAgent: undefined, ip: '203.0.113.1' })).to.equal(true);
      expect(isPrefetchedOpen({ userAgent: 'Mozilla/5.0 (Windows NT 10.0) Thunderbird/128.0', ip: '203.0.113.1' })).to.equal(false);
      expect(isPrefetchedClick({ method: 'HEAD', userAgent: 'Mozilla/5.0 Firefox' })).to.equal(true);
      expect(isPrefetchedClick({ method: 'GET', userAgent: '' })).to.equal(true);
      expect(isPrefetchedClick({ method: 'GET', userAgent: 'Mozilla/5.0 Firefox' })).to.equal(false);
    });
  });
});
