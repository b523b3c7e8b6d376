import type { Channel, OutboundMessage, Priority } from '@clarion/adapter-kit';
import { eventAttachments, eventAttachmentList } from '../db/repositories/attachments.ts';
import { mediaUrl } from './media.ts';
import { ConfigError, DeliveryError, PermanentError } from '@clarion/adapter-kit';
import type { DeliveryRow, EventRow, NotificationRow, SubscriberRowShape, TenantShape } from '../db/repositories/rows.ts';
import { ClarionError } from '../errors.ts';
import type { Workflow } from '../workflows/service.ts';
import { variantFor } from '../workflows/variants.ts';
import type { DeliveryContext } from './context.ts';
import { trackingUrls } from '../analytics/links.ts';
import { trackEmail, trackingFor, type TrackingSettings } from './tracking.ts';

/**
 * What a delivery sends: the template of its workflow, channel and the subscriber's language,
 * rendered with the event, the subscriber, the tenant's brand and the notification's signed links
 * (acknowledge, unsubscribe), and the envelope adapters take. A template that cannot render is a
 * permanent failure about the message (no provider would do better); a missing one a config error.
 */

export interface MessageInput {
  delivery: DeliveryRow;
  notification: NotificationRow;
  subscriber: SubscriberRowShape;
  event: EventRow;
  tenant: TenantShape;
  workflow: Workflow;
  channel: Channel;
  priority: Priority;
}

/** The address a channel needs; a subscriber without it cannot get this delivery (recipient scope). */
export function checkAddress(channel: Channel, subscriber: SubscriberRowShape): void {
  const missing = (what: string) => new PermanentError(`subscriber ${subscriber.external_id} has no ${what}`, { code: 'no_address' });
  if (channel === 'email' && !subscriber.email) throw missing('email address');
  if ((channel === 'sms' || channel === 'voice' || channel === 'whatsapp') && !subscriber.phone) throw missing('phone number');
  if (channel === 'push' && (!Array.isArray(subscriber.devices) || subscriber.devices.length === 0)) throw missing('push device');
}

/** Signed links of a message: acknowledge (high, critical, escalated) and unsubscribe (not for required workflows). */
export function links(ctx: DeliveryContext, input: { notification: NotificationRow; subscriber: SubscriberRowShape; workflow: Workflow; channel: Channel; priority: Priority }): { ack?: string; unsubscribe?: string } {
  const service = ctx.preferences();
  if (!service || !ctx.config.secretKey) return {};
  const { notification, subscriber, workflow, channel, priority } = input;
  const required = workflow.required ?? workflow.priority === 'critical';
  const claims = { t: notification.tenant_id, s: subscriber.external_id };
  return {
    ack: priority === 'high' || priority === 'critical' || notification.escalation ? service.ackUrl({ ...claims, n: notification.id }) : undefined,
    unsubscribe: required
      ? undefined
      : service.unsubscribeUrl({ ...claims, k: workflow.category ? 'category' : 'workflow', v: workflow.category ?? workflow.key, c: channel, n: notification.id }),
  };
}

export async function buildMessage(ctx: DeliveryContext, input: MessageInput): Promise<OutboundMessage> {
  const { delivery, notification, subscriber, event, tenant, workflow, channel, priority } = input;
  const renderer = ctx.templates();
  if (!renderer) throw new ConfigError('no template service is available', { code: 'no_templates' });
  const signed = links(ctx, { notification, subscriber, workflow, channel, priority });
  const extra = await ctx.templateData(notification, { subscriber, tenant });
  const context = {
    event: { id: event.ce_id, source: event.source, type: event.type, subject: event.subject ?? undefined, time: event.time ?? undefined },
    data: event.data ?? {},
    subscriber: { id: subscriber.external_id, name: subscriber.name, email: subscriber.email, phone: subscriber.phone, locale: subscriber.locale, timezone: subscriber.timezone, data: subscriber.data },
    tenant: { name: tenant.name, brand: tenant.settings?.brand ?? {} },
    notification: { id: notification.id, priority, ackUrl: signed.ack, unsubscribeUrl: signed.unsubscribe },
    ...(extra ?? {}),
  };
  const variant = variantFor(workflow, channel, notification.id);
  let rendered;
  try {
    rendered = await renderer.render({
      tenantId: delivery.tenant_id, workflowKey: workflow.key, channel, locale: subscriber.locale, tenantDefaultLocale: tenant.settings?.defaultLocale ?? null, context,
      ...(variant?.template ? { variant: { key: variant.key, parts: variant.template as Record<string, string> } } : {}),
    });
  } catch (err) {
    if (err instanceof DeliveryError) throw err;
    if (err instanceof ClarionError) throw new ConfigError(err.message, { code: err.code });
    throw new PermanentError(`the template cannot be rendered: ${(err as Error).message}`, { code: 'render_failed', cause: err });
  }
  const content = channel === 'email' ? trackedEmail(ctx, rendered.parts, { delivery, workflow, tenant }) : channel === 'push' ? trackedPush(ctx, rendered.parts, { delivery, workflow, tenant }) : rendered.parts;
  return {
    tenantId: delivery.tenant_id,
    notificationId: notification.id,
    deliveryId: delivery.id,
    channel,
    priority,
    locale: rendered.locale,
    ...(variant ? { variant: variant.key } : {}),
    to: {
      id: subscriber.external_id,
      name: subscriber.name ?? undefined,
      email: subscriber.email ?? undefined,
      phone: subscriber.phone ?? undefined,
      locale: subscriber.locale ?? undefined,
      timezone: subscriber.timezone ?? undefined,
      devices: subscriber.devices as OutboundMessage['to']['devices'],
      chat: subscriber.chat as OutboundMessage['to']['chat'],
      data: subscriber.data,
    },
    content,
    links: signed,
    // RFC 8058 one-click unsubscribe: mail clients POST `List-Unsubscribe=One-Click` to the link.
    ...(channel === 'email' && signed.unsubscribe ? { headers: { 'List-Unsubscribe': `<${signed.unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } } : {}),
    metadata: { notificationId: notification.id, deliveryId: delivery.id, workflow: workflow.key },
    ...(notification.correlation_key ? { correlationKey: notification.correlation_key } : {}),
    ...(channel === 'email' && hasAttachments(event) ? { attachments: await eventAttachments(ctx.knex, event.tenant_id, event.id) } : {}),
    ...((channel === 'sms' || channel === 'whatsapp') && hasAttachments(event) && ctx.config.secretKey ? { media: await media(ctx, event) } : {}),
  };
}

/** The event's files as signed links the provider fetches from the gateway (./media.ts). */
async function media(ctx: DeliveryContext, event: EventRow): Promise<NonNullable<OutboundMessage['media']>> {
  const now = ctx.clock.now();
  const files = await eventAttachmentList(ctx.knex, event.tenant_id, event.id);
  return files.map((f) => ({ url: mediaUrl(ctx.config.secretKey!, ctx.config.publicUrl, { tenantId: event.tenant_id, eventId: event.id, position: f.position }, now), filename: f.filename, contentType: f.contentType }));
}

/** An email's content with open and click tracking, where its workflow or tenant asks for it (tracking.ts). */
function trackedEmail(ctx: DeliveryContext, parts: OutboundMessage['content'], input: { delivery: DeliveryRow; workflow: Workflow; tenant: TenantShape }): OutboundMessage['content'] {
  const secret = ctx.config.secretKey;
  if (!parts.html || !secret) return parts;
  const { opens, clicks } = trackingFor(input.workflow, input.tenant.settings?.tracking as TrackingSettings | undefined);
  if (!opens && !clicks) return parts;
  return { ...parts, html: trackEmail(parts.html, { secret, publicUrl: ctx.config.publicUrl, deliveryId: input.delivery.id, opens, clicks }) };
}

/**
 * A push's content with `clarion_open_url` in its data where its workflow or tenant tracks opens:
 * the app or service worker POSTs it when the person opens the notification.
 */
function trackedPush(ctx: DeliveryContext, parts: OutboundMessage['content'], input: { delivery: DeliveryRow; workflow: Workflow; tenant: TenantShape }): OutboundMessage['content'] {
  const secret = ctx.config.secretKey;
  if (!secret || !trackingFor(input.workflow, input.tenant.settings?.tracking as TrackingSettings | undefined).opens) return parts;
  return { ...parts, data: { ...(parts.data ?? {}), clarion_open_url: trackingUrls(secret, ctx.config.publicUrl, input.delivery.id).open } };
}

/** Whether the event's data references files taken out of it at ingest. */
function hasAttachments(event: EventRow): boolean {
  const list = (event.data as { attachments?: unknown } | null)?.attachments;
  return Array.isArray(list) && list.length > 0;
}
