/**
 * What Clarion accepts from a client, in one place. Ingest, the shared JSON parser, the routes
 * that take event types and the OpenAPI document read these numbers from here; the README
 * ("Limits") and docs/errors.md explain them to users.
 *
 * Lengths are UTF-8 bytes (what PostgreSQL stores and indexes), not characters. The rule behind
 * all of them: an event is stored exactly as it was accepted, or it is refused with a 4xx naming
 * the field; never a 500, never a silently changed value.
 */

/**
 * CloudEvent `id` and `source`: at most 1024 bytes each. Both sit in the unique index
 * (tenant_id, source, ce_id) whose entries PostgreSQL caps at 2704 bytes (a third of a page):
 * 16 (uuid) + 2 × (1024 + 4) + 8 (tuple header) stays well below it, uncompressed. Real ids are
 * UUIDs or similar (36 bytes), real sources URIs of a few dozen.
 */
export const MAX_ID_BYTES = 1024;
/** @see MAX_ID_BYTES */
export const MAX_SOURCE_BYTES = 1024;

/**
 * CloudEvent `type`: at most 255 bytes, the length a contract type (`PUT /v1/contracts/{type}`)
 * and a workflow `trigger` may have: a longer type could never match either.
 */
export const MAX_TYPE_BYTES = 255;

/** CloudEvent `subject`: at most 1024 bytes (a path or key of the thing the event is about). */
export const MAX_SUBJECT_BYTES = 1024;

/** CloudEvent `dataschema`: a URI, at most 2048 bytes (the usual ceiling for URLs; a webhook URL's too). */
export const MAX_DATASCHEMA_BYTES = 2048;

/**
 * CloudEvent `datacontenttype` (binary mode: `Content-Type`): at most 255 bytes. RFC 6838 caps
 * type and subtype names at 127 characters each; this leaves room for a charset parameter.
 */
export const MAX_DATACONTENTTYPE_BYTES = 255;

/**
 * Digits after the second in `time`: at most 9 (nanoseconds). `time` is kept as sent (RFC 3339
 * text); without a cap its fraction could be a megabyte of digits.
 */
export const MAX_TIME_FRACTION_DIGITS = 9;

/**
 * Extension attribute names: 1 to 20 lower-case ASCII letters or digits. CloudEvents requires the
 * alphabet and says names SHOULD NOT exceed 20 characters; Clarion makes that a MUST so names
 * stay short keys in the stored `extensions` object.
 */
export const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;

/**
 * Extension attributes per event: at most 32. The known CloudEvents extensions (tracing,
 * partitioning, sequence, dataref, auth context...) number about ten; 32 also bounds the work and
 * the size of the error list for an event made of thousands of attributes.
 */
export const MAX_EXTENSIONS = 32;

/**
 * An extension's string value: at most 1024 bytes. W3C `tracestate`, the longest extension in
 * common use, is at most 512 characters of ASCII.
 */
export const MAX_EXTENSION_VALUE_BYTES = 1024;

/**
 * Nesting of objects and arrays: at most 64 levels, counted in an event's `data` (binary mode:
 * the body) and from the top of every other JSON request body. It is checked on the raw text
 * before anything parses it, so no recursive code (ajv, JSON.stringify, the PostgreSQL driver)
 * ever walks a deeper value; business payloads nest a handful of levels.
 */
export const MAX_JSON_DEPTH = 64;

/** Events in one batch (`application/cloudevents-batch+json`): at most 1000. */
export const MAX_BATCH = 1000;

/**
 * Field errors reported for the text of one JSON body (NUL characters, unpaired surrogates,
 * numbers that would change, nesting): at most 100, so a body made of a million bad strings does
 * not get an answer of a million errors. The request is refused either way.
 */
export const MAX_REPORTED_PROBLEMS = 100;
