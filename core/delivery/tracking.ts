import type { Priority } from '@clarion/adapter-kit';
import { Parser } from 'htmlparser2';
import { MAX_TRACKED_URL, trackingUrls } from '../analytics/links.ts';

/**
 * Open and click tracking of an email, one step of message building: the links of the rendered
 * HTML part lead through Clarion's signed redirect and a 1x1 pixel goes before `</body>`. The
 * text part is left as it is. What is rewritten: `href`s of `<a>` and `<area>` to http(s) targets,
 * except Clarion's own links (unsubscribe, acknowledge, already tracked) and links marked
 * `data-clarion-track="off"`.
 */

export interface TrackingSettings {
  opens?: boolean;
  clicks?: boolean;
}

/**
 * Whether a workflow's emails are tracked: its own `tracking`, else the tenant's
 * `settings.tracking`, except for critical workflows, which are tracked only when they say so
 * themselves. Off by default.
 */
export function trackingFor(workflow: { priority: Priority; tracking?: TrackingSettings }, tenant: TrackingSettings | undefined): { opens: boolean; clicks: boolean } {
  const own = workflow.tracking ?? {};
  const inherited = workflow.priority === 'critical' ? {} : (tenant ?? {});
  return { opens: own.opens ?? inherited.opens ?? false, clicks: own.clicks ?? inherited.clicks ?? false };
}

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The HTML with its links rewritten to `click(target)` (when `click` is given) and the pixel
 * `open` added (when given). Attribute values are read decoded (`&amp;` is `&`), as a browser
 * would follow them, and written back escaped.
 */
export function rewriteHtml(html: string, options: { click?: (target: string) => string; open?: string; own: string }): string {
  const edits: Array<{ start: number; end: number; text: string }> = [];
  if (options.click) {
    const click = options.click;
    let attributes: Array<{ name: string; value: string; start: number; end: number }> = [];
    const parser = new Parser(
      {
        onopentagname() {
          attributes = [];
        },
        onattribute(name, value) {
          attributes.push({ name, value, start: parser.startIndex, end: parser.endIndex });
        },
        onopentag(name) {
          if (name !== 'a' && name !== 'area') return;
          if (attributes.some((a) => a.name === 'data-clarion-track' && a.value.trim().toLowerCase() === 'off')) return;
          const href = attributes.find((a) => a.name === 'href');
          const target = href?.value.trim();
          if (!href || !target || !/^https?:\/\//i.test(target) || target.length > MAX_TRACKED_URL) return;
          if (target.startsWith(`${options.own}/v1/links/`) || target.startsWith(`${options.own}/v1/track/`)) return;
          // The redirect's Location is the URL as the WHATWG parser writes it (percent-encoded, punycode host).
          let normalized: string;
          try {
            normalized = new URL(target).href;
          } catch {
            return;
          }
          edits.push({ start: href.start, end: href.end, text: `href="${escapeAttribute(click(normalized))}"` });
        },
      },
      { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
    );
    parser.write(html);
    parser.end();
  }
  let out = html;
  for (const edit of edits.reverse()) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  if (options.open) {
    const pixel = `<img src="${escapeAttribute(options.open)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />`;
    const closing = [...out.matchAll(/<\/body\s*>/gi)].at(-1);
    out = closing?.index !== undefined ? out.slice(0, closing.index) + pixel + out.slice(closing.index) : out + pixel;
  }
  return out;
}

/** The email's HTML part with tracking applied, or the HTML as it was when nothing is tracked. */
export function trackEmail(html: string, input: { secret: Buffer; publicUrl: string; deliveryId: string; opens: boolean; clicks: boolean }): string {
  if (!input.opens && !input.clicks) return html;
  const urls = trackingUrls(input.secret, input.publicUrl, input.deliveryId);
  return rewriteHtml(html, { click: input.clicks ? urls.click : undefined, open: input.opens ? urls.open : undefined, own: input.publicUrl });
}
