import type { Channel } from '@clarion/adapter-kit';

/**
 * What each channel's template is made of. A part is a nunjucks source; its kind decides how
 * values are escaped while it renders and what its output becomes:
 * - `html`: HTML, values HTML-escaped (autoescape).
 * - `line`: plain text on one line (an email subject, a push title): whitespace collapsed.
 * - `text`: plain text, nothing escaped (SMS, push body, voice).
 * - `mrkdwn`: chat text, `&`, `<` and `>` escaped as Slack requires (so data cannot mention @channel).
 * - `url`: an http(s) URL or a path.
 * - `json`: JSON; values printed inside JSON strings are JSON-escaped, and `| json` prints any value.
 * - `layout`: feeds the email layout only (the inbox preview line); not sent as a part.
 */
export type PartKind = 'html' | 'line' | 'text' | 'mrkdwn' | 'url' | 'json' | 'layout';

export interface PartSpec {
  kind: PartKind;
  required?: boolean;
  description: string;
}

export const CHANNEL_PARTS: Record<Channel, Record<string, PartSpec>> = {
  email: {
    subject: { kind: 'line', required: true, description: 'Subject line' },
    preheader: { kind: 'layout', description: 'Inbox preview text shown after the subject (placed by the layout)' },
    html: { kind: 'html', description: 'HTML body; usually `{% extends "_layouts/email.njk" %}` with a `{% block html %}`' },
    text: { kind: 'text', description: 'Plain-text body; derived from the HTML when missing' },
  },
  sms: { text: { kind: 'text', required: true, description: 'Message text' } },
  whatsapp: { text: { kind: 'text', required: true, description: 'Message text (WhatsApp formatting: *bold*, _italic_)' } },
  voice: { text: { kind: 'text', required: true, description: 'What the call says (text to speech)' } },
  push: {
    title: { kind: 'line', description: 'Notification title' },
    body: { kind: 'text', required: true, description: 'Notification body' },
    url: { kind: 'url', description: 'Where a tap leads' },
    data: { kind: 'json', description: 'JSON object of extra data for the app (values become strings)' },
  },
  chat: {
    text: { kind: 'mrkdwn', required: true, description: 'Slack mrkdwn / Teams markdown text (also the notification fallback)' },
    blocks: { kind: 'json', description: 'JSON: Slack blocks or a Teams Adaptive Card body' },
  },
  in_app: {
    title: { kind: 'line', description: 'Title in the inbox' },
    body: { kind: 'text', required: true, description: 'Body text in the inbox (plain text)' },
    url: { kind: 'url', description: 'Where a click leads' },
    actions: { kind: 'json', description: 'JSON array of buttons: [{"label", "url"?, "action"?, "style"?: "primary"|"secondary"}]; the inbox records the `action` key taken' },
    data: { kind: 'json', description: 'JSON object of extra data (values become strings)' },
  },
  webhook: { body: { kind: 'json', required: true, description: 'The JSON body to post' } },
};

export const ALL_PART_NAMES = [...new Set(Object.values(CHANNEL_PARTS).flatMap((parts) => Object.keys(parts)))].sort();

/** Problems with a set of parts for a channel (unknown part, missing required part, not a string). */
export function partProblems(channel: Channel, parts: Record<string, unknown>): Array<{ part: string; message: string }> {
  const spec = CHANNEL_PARTS[channel];
  const problems: Array<{ part: string; message: string }> = [];
  for (const [name, value] of Object.entries(parts)) {
    if (!Object.hasOwn(spec, name)) problems.push({ part: name, message: `is not a part of ${channel} templates (allowed: ${Object.keys(spec).join(', ')})` });
    else if (typeof value !== 'string') problems.push({ part: name, message: 'must be a string (nunjucks source)' });
  }
  for (const [name, part] of Object.entries(spec)) {
    if (part.required && (typeof parts[name] !== 'string' || (parts[name] as string).trim() === '')) {
      problems.push({ part: name, message: 'is required' });
    }
  }
  if (channel === 'email' && !nonEmpty(parts.html) && !nonEmpty(parts.text)) {
    problems.push({ part: 'html', message: 'an email needs an html or a text part' });
  }
  return problems;
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}
