import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { parseKeyPairsIntoRecord, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';

/**
 * OpenTelemetry traces of an event's way through Clarion: `clarion.ingest` (HTTP or broker),
 * then, linked across jobs by the W3C `traceparent` each job's payload carries, the job spans
 * (`clarion.job.process_event`, `clarion.job.send_delivery`, ...) and the stages inside them
 * (`clarion.fan_out`, `clarion.pipeline`, `clarion.render`, `clarion.send`: the provider call).
 * A caller's trace is continued from the `traceparent` header, or the CloudEvents `traceparent`
 * extension (distributed tracing extension).
 *
 * Off unless started: with the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, spans are exported over OTLP/HTTP; otherwise nothing
 * is registered and the API below is OpenTelemetry's no-op (no context is kept, nothing is
 * propagated, payloads carry nothing). Tests start it with an in-memory exporter.
 */

const VERSION = '0.1.0';
const w3c = new W3CTraceContextPropagator();
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export interface Tracing {
  provider: TracerProvider;
  /** Exports what is pending, then stops (call at shutdown). */
  shutdown(): Promise<void>;
}

let running: Tracing | undefined;

/** Is an SDK registered (spans recorded and propagated)? */
export function tracingEnabled(): boolean {
  return running !== undefined;
}

/**
 * Starts tracing when the environment asks for it (OTLP endpoint set, `OTEL_SDK_DISABLED` not
 * true, `OTEL_TRACES_EXPORTER` not `none`), or with the given exporter (tests). Returns undefined
 * when tracing stays off.
 */
export function startTracing(options: { env?: Record<string, string | undefined>; exporter?: SpanExporter } = {}): Tracing | undefined {
  const env = options.env ?? process.env;
  if (running) return running;
  let processor;
  if (options.exporter) processor = new SimpleSpanProcessor({ exporter: options.exporter });
  else {
    const url = otlpTracesUrl(env);
    if (!url || env.OTEL_SDK_DISABLED?.toLowerCase() === 'true' || env.OTEL_TRACES_EXPORTER?.toLowerCase() === 'none') return undefined;
    // The exporter reads the other standard variables itself (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION...).
    processor = new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) });
  }
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'clarion', 'service.version': VERSION }))
    // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME win.
    .merge(resourceFromAttributes({ ...parseKeyPairsIntoRecord(env.OTEL_RESOURCE_ATTRIBUTES), ...(env.OTEL_SERVICE_NAME ? { 'service.name': env.OTEL_SERVICE_NAME } : {}) }));
  const provider = new TracerProvider({ resource, spanProcessors: [processor] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(w3c);
  trace.setGlobalTracerProvider(provider);
  running = {
    provider,
    async shutdown() {
      if (running?.provider !== provider) return;
      running = undefined;
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
  return running;
}

/** The traces endpoint per the OTLP exporter specification: the signal-specific URL as is, the base one plus `/v1/traces`. */
export function otlpTracesUrl(env: Record<string, string | undefined>): string | undefined {
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (specific) return specific;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/** Runs `fn` in a new active span; an error thrown marks the span and is rethrown. */
export async function withSpan<T>(
  name: string,
  options: { attributes?: Attributes; kind?: SpanKind; links?: Link[]; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  if (!running) return fn(NOOP_SPAN);
  const parent = options.parent ?? context.active();
  return running.provider.getTracer('clarion', VERSION).startActiveSpan(name, { attributes: options.attributes, kind: options.kind, links: options.links }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message?.slice(0, 500) });
      throw err;
    } finally {
      span.end();
    }
  });
}

const NOOP_SPAN = trace.wrapSpanContext({ traceId: '00000000000000000000000000000000', spanId: '0000000000000000', traceFlags: 0 });

/** The active span's context as a W3C `traceparent`, for a job payload; undefined when there is none. */
export function currentTraceparent(): string | undefined {
  if (!running) return undefined;
  const carrier: Record<string, string> = {};
  w3c.inject(context.active(), carrier, { set: (c, k, v) => (c[k] = v) });
  return carrier.traceparent;
}

/** The context a `traceparent` (header, extension, job payload) continues; undefined for none or a malformed one. */
export function contextOf(traceparent: unknown, tracestate?: unknown): Context | undefined {
  if (!running || typeof traceparent !== 'string' || !TRACEPARENT.test(traceparent.trim())) return undefined;
  const carrier: Record<string, string> = { traceparent: traceparent.trim() };
  if (typeof tracestate === 'string' && tracestate.length <= 512) carrier.tracestate = tracestate;
  const extracted = w3c.extract(ROOT_CONTEXT, carrier, { get: (c, k) => c[k], keys: (c) => Object.keys(c) });
  return trace.getSpanContext(extracted) ? extracted : undefined;
}

/** A span link to a `traceparent` (an event's own trace when the request continued another). */
export function linkTo(traceparent: unknown): Link | undefined {
  const ctx = contextOf(traceparent);
  const spanContext = ctx && trace.getSpanContext(ctx);
  return spanContext ? { context: spanContext } : undefined;
}

/** Is a trace active here (a span of ours, or a caller's context)? */
export function hasActiveTrace(): boolean {
  if (!running) return false;
  const spanContext = trace.getSpanContext(context.active());
  return spanContext !== undefined && trace.isSpanContextValid(spanContext);
}

/** Runs `fn` within `ctx` (or as is without one). */
export function within<T>(ctx: Context | undefined, fn: () => T): T {
  return ctx ? context.with(ctx, fn) : fn();
}

/** `traceId` and `spanId` of the active span, for log lines (pino's mixin); nothing when tracing is off. */
export function traceLogFields(): Record<string, string> {
  if (!running) return {};
  const spanContext = trace.getSpanContext(context.active());
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { traceId: spanContext.traceId, spanId: spanContext.spanId };
}

export { SpanKind };
