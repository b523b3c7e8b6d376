/**
 * Generated from Clarion's OpenAPI document by openapi-typescript: do not edit.
 * Regenerate with `npm run generate:client` (a test fails while this file and the document disagree).
 */

export interface paths {
    "/v1/webhooks/event-types": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The event types webhooks carry */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items?: components["schemas"]["WebhookEventType"][];
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/endpoints": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the tenant's webhook endpoints, newest first */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (1-200, default 50). */
                    limit?: number;
                    /** @description The `nextCursor` of the previous page. */
                    cursor?: string;
                    /** @description Only enabled (true) or disabled (false) endpoints. */
                    enabled?: boolean;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: components["schemas"]["WebhookEndpoint"][];
                            nextCursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        /**
         * Register a webhook endpoint
         * @description The answer carries the signing secret (`whsec_...`), shown this once. Verify deliveries with it (Standard Webhooks).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["WebhookEndpointInput"];
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["WebhookEndpointWithSecret"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/endpoints/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a webhook endpoint */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The endpoint id. */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["WebhookEndpoint"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        /** Delete a webhook endpoint with its messages and attempts */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The endpoint id. */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        options?: never;
        head?: never;
        /** Change a webhook endpoint (URL, filter, description, rate limit, enabled) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The endpoint id. */
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["WebhookEndpointPatch"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["WebhookEndpoint"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        trace?: never;
    };
    "/v1/webhooks/endpoints/{id}/rotate-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Replace the signing secret
         * @description Returns the new secret, shown this once. The old secret keeps signing next to it (two signatures in `webhook-signature`) for `gracePeriodSeconds` (default 86400, 0 ends it at once).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The endpoint id. */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": {
                        /** @description How long the old secret keeps signing beside the new one (default 24 h, at most 7 days; 0: at once). */
                        gracePeriodSeconds?: number;
                    };
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["WebhookEndpointWithSecret"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/endpoints/{id}/attempts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Delivery attempts to the endpoint, newest first */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (1-200, default 50). */
                    limit?: number;
                    /** @description The `nextCursor` of the previous page. */
                    cursor?: string;
                    /** @description Only attempts of this message (its id or its `webhook-id`). */
                    messageId?: string;
                    /** @description Only this outcome. */
                    outcome?: "success" | "http_error" | "redirect" | "timeout" | "network_error" | "blocked";
                };
                header?: never;
                path: {
                    /** @description The endpoint id. */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: components["schemas"]["WebhookAttempt"][];
                            nextCursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/endpoints/{id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Messages queued for the endpoint, newest first */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (1-200, default 50). */
                    limit?: number;
                    /** @description The `nextCursor` of the previous page. */
                    cursor?: string;
                    /** @description Only this status. */
                    status?: "pending" | "retrying" | "delivered" | "failed";
                    /** @description Only this event type. */
                    eventType?: string;
                };
                header?: never;
                path: {
                    /** @description The endpoint id. */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: components["schemas"]["WebhookMessage"][];
                            nextCursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/endpoints/{id}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Message and attempt counts and durations of the endpoint */
        get: {
            parameters: {
                query?: {
                    /** @description Start of the period (RFC 3339); default 24 hours ago. */
                    since?: string;
                };
                header?: never;
                path: {
                    /** @description The endpoint id. */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["WebhookEndpointStats"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/endpoints/{id}/recover": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send again every message of the endpoint since a time
         * @description Messages created from `since` to `until` (both included; default now), optionally only in the given statuses, are sent again oldest first with their `webhook-id` unchanged and a fresh retry schedule.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The endpoint id. */
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /**
                         * Format: date-time
                         * @description Messages created from this time...
                         */
                        since: string;
                        /**
                         * Format: date-time
                         * @description ...to this one (default now).
                         */
                        until?: string;
                        /** @description Only messages in these statuses. */
                        status?: ("pending" | "retrying" | "delivered" | "failed")[];
                    };
                };
            };
            responses: {
                /** @description Queued */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            queued: number;
                            /** Format: date-time */
                            since: string;
                            /** Format: date-time */
                            until: string;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                409: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/messages/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a webhook message with its CloudEvent */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The message id. */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["WebhookMessage"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/messages/{id}/replay": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a message again now, with the same webhook-id
         * @description With a message id, to its endpoint; with a `webhook-id` (`msg_...`), to every enabled endpoint that received it. The retry schedule starts afresh.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The message id, or the `webhook-id`. */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Queued */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items?: components["schemas"]["WebhookMessage"][];
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                409: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/templates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List templates: the bundled defaults and the tenant's own, one item per workflow, channel and locale */
        get: {
            parameters: {
                query?: {
                    /** @description Only this workflow. */
                    workflow?: string;
                    /** @description Only this channel. */
                    channel?: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                    /** @description Only this locale. */
                    locale?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: components["schemas"]["TemplateSummary"][];
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/templates/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Render a template with sample data, a stored event, or inline parts (live preview)
         * @description Renders what a subscriber would receive, without sending anything. Give `template` (inline parts) to render unsaved edits, `version` to render a stored version, or neither to render what deliveries would use (the published tenant template, else the bundled one). Data comes from `data`, a stored event (`eventId`), or the bundled workflow's sample. SMS previews report the encoding and segment count; push previews the payload size against each platform's limit.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description The workflow key */
                        workflow: string;
                        /** @enum {unknown} */
                        channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                        /** @description The locale to render in (region fallbacks apply); default: the subscriber's, then the tenant default */
                        locale?: string;
                        /** @description The event data to render with; default: the bundled workflow's sample data */
                        data?: unknown;
                        /** @description Render against a stored event (Clarion id or CloudEvent id) instead of `data` */
                        eventId?: string;
                        /** @description Disambiguates a CloudEvent id used by several sources */
                        eventSource?: string;
                        /** @description The subscriber to render for (id, name, email, phone, locale, timezone, data); default: a sample one */
                        subscriber?: Record<string, never>;
                        /** @description Digest items */
                        items?: unknown[];
                        /** @enum {unknown} */
                        priority?: "low" | "normal" | "high" | "critical";
                        /** @description Inline parts to render instead of the stored template (a live editor) */
                        template?: {
                            [key: string]: string;
                        };
                        /** @description Render this stored version (needs `locale`) instead of the published one */
                        version?: number;
                    };
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TemplatePreview"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                503: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/templates/layouts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List layouts: the bundled ones and the tenant's own (which replace bundled ones of the same name) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: components["schemas"]["TemplateLayout"][];
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/templates/layouts/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a layout (the tenant's, else the bundled one) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The layout name: used as `{% extends "_layouts/<name>.njk" %}` */
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TemplateLayout"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        /**
         * Save a tenant layout
         * @description Email templates use it with `{% extends "_layouts/<name>.njk" %}`; a tenant layout named like a bundled one (`email`) replaces it for every template, bundled ones included. Syntax errors and unknown filters, tests or tags are refused (422 with line and column).
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The layout name: used as `{% extends "_layouts/<name>.njk" %}` */
                    name: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Nunjucks source */
                        content: string;
                    };
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TemplateLayout"] & {
                            warnings?: components["schemas"]["TemplateWarning"][];
                        };
                    };
                };
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TemplateLayout"] & {
                            warnings?: components["schemas"]["TemplateWarning"][];
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                413: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        post?: never;
        /** Delete a tenant layout (the bundled one of the same name applies again) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The layout name: used as `{% extends "_layouts/<name>.njk" %}` */
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/templates/{workflow}/{channel}/{locale}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read the template that renders for exactly this workflow, channel and locale: the published tenant version, else the bundled default */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The workflow key, e.g. `quotation.status_changed` */
                    workflow: string;
                    /** @description The channel */
                    channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                    /** @description The locale (BCP 47), e.g. `en`, `fr`, `fr-CA` */
                    locale: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Template"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/templates/{workflow}/{channel}/{locale}/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the saved versions, newest first */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (1-200, default 50). */
                    limit?: number;
                    /** @description The `nextCursor` of the previous page. */
                    cursor?: string;
                };
                header?: never;
                path: {
                    /** @description The workflow key, e.g. `quotation.status_changed` */
                    workflow: string;
                    /** @description The channel */
                    channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                    /** @description The locale (BCP 47), e.g. `en`, `fr`, `fr-CA` */
                    locale: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: components["schemas"]["TemplateVersionSummary"][];
                            nextCursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        /**
         * Save a new version (a draft, or published at once with `publish: true`)
         * @description Every save makes a new version. Syntax errors, unknown filters, tests and tags are refused with 422 (`errors[]` give each part with `line` and `column`, and `name` for an unknown filter, test or tag); variables the workflow's contract does not declare, unknown variables and missing translations come back as `warnings`.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The workflow key, e.g. `quotation.status_changed` */
                    workflow: string;
                    /** @description The channel */
                    channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                    /** @description The locale (BCP 47), e.g. `en`, `fr`, `fr-CA` */
                    locale: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Nunjucks source of each part */
                        parts: {
                            [key: string]: string;
                        };
                        /**
                         * @description Publish the new version at once
                         * @default false
                         */
                        publish?: boolean;
                    };
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TemplateVersion"] & {
                            warnings: components["schemas"]["TemplateWarning"][];
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                413: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/templates/{workflow}/{channel}/{locale}/versions/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read one version */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The workflow key, e.g. `quotation.status_changed` */
                    workflow: string;
                    /** @description The channel */
                    channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                    /** @description The locale (BCP 47), e.g. `en`, `fr`, `fr-CA` */
                    locale: string;
                    /** @description The version number */
                    version: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Template"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/templates/{workflow}/{channel}/{locale}/versions/{version}/publish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publish a draft version; the version published until now is archived
         * @description Published versions never change. A version that was published before (archived) cannot be published again: roll back to it, which publishes a copy.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The workflow key, e.g. `quotation.status_changed` */
                    workflow: string;
                    /** @description The channel */
                    channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                    /** @description The locale (BCP 47), e.g. `en`, `fr`, `fr-CA` */
                    locale: string;
                    /** @description The version number */
                    version: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TemplateVersion"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                409: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/templates/{workflow}/{channel}/{locale}/rollback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Roll back: publish a copy of an older version as a new version
         * @description The new version has `basedOnVersion` set; the history stays complete and every published version stays as it was.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The workflow key, e.g. `quotation.status_changed` */
                    workflow: string;
                    /** @description The channel */
                    channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                    /** @description The locale (BCP 47), e.g. `en`, `fr`, `fr-CA` */
                    locale: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        version: number;
                    };
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TemplateVersion"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                409: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/templates/{workflow}/{channel}/{locale}/unpublish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Archive the published version, so the bundled default (if any) renders again */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The workflow key, e.g. `quotation.status_changed` */
                    workflow: string;
                    /** @description The channel */
                    channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                    /** @description The locale (BCP 47), e.g. `en`, `fr`, `fr-CA` */
                    locale: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            workflow?: string;
                            /** @enum {unknown} */
                            channel?: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                            locale?: string;
                            archivedVersion?: number;
                            /**
                             * @description What renders now
                             * @enum {unknown}
                             */
                            source?: "bundled" | "none";
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/subscribers/{subscriberId}/preferences": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A subscriber's own preferences, the inherited ones (tenant, teams, projects) and what applies to each workflow and channel */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The tenant's own id for the person */
                    subscriberId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SubscriberPreferences"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        /** Replace a subscriber's own preferences */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The tenant's own id for the person */
                    subscriberId: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["PreferenceInput"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SubscriberPreferences"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/preferences/{scope}/{scopeId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Preferences of one scope */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description tenant, team, project or subscriber */
                    scope: string;
                    /** @description The tenant id (or `default`), a team id, a project id or a subscriber id */
                    scopeId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Preference"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        /** Replace the preferences of one scope (the most specific scope wins) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description tenant, team, project or subscriber */
                    scope: string;
                    /** @description The tenant id (or `default`), a team id, a project id or a subscriber id */
                    scopeId: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["PreferenceInput"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Preference"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/notifications/{id}/ack": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Acknowledge a notification: pending escalation steps stop. Authorization: the tenant's API key, or the subscriber's own token (POST /v1/subscribers/{subscriberId}/token), which acknowledges only that subscriber's notifications */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Notification id */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @constant */
                            acknowledged: true;
                            /** @description false when it was already acknowledged */
                            changed: boolean;
                            notification?: Record<string, never>;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                409: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/subscribers/{subscriberId}/token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Issue the subscriber's own bearer token (for in-app clients): it acknowledges that subscriber's notifications and nothing else */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The tenant's own id for the person */
                    subscriberId: string;
                };
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": {
                        /** @default 86400 */
                        ttlSeconds?: number;
                    };
                };
            };
            responses: {
                /** @description OK */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            token: string;
                            /** Format: date-time */
                            expiresAt: string;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/links/unsubscribe/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Confirmation page of a one-click unsubscribe link (changes nothing) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The signed token of the link */
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Confirmation page */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
                400: components["responses"]["Problem"];
                /** @description Invalid link */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        /** One-click unsubscribe (RFC 8058: mail clients POST `List-Unsubscribe=One-Click`) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The signed token of the link */
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/x-www-form-urlencoded": {
                        /** @constant */
                        "List-Unsubscribe"?: "One-Click";
                    };
                };
            };
            responses: {
                /** @description Unsubscribed */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
                400: components["responses"]["Problem"];
                403: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/links/ack/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Confirmation page of an acknowledgement link (changes nothing) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The signed token of the link */
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Confirmation page */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
                400: components["responses"]["Problem"];
                /** @description Invalid link */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
                /** @description Expired link */
                410: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        /** Acknowledge through a signed link */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The signed token of the link */
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Acknowledged */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
                400: components["responses"]["Problem"];
                403: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                409: components["responses"]["Problem"];
                410: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the tenant's API keys, newest first, revoked ones included
         * @description Never the keys themselves nor their hashes: each key is recognised by its `prefix`.
         */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (1-200, default 50). */
                    limit?: number;
                    /** @description The `nextCursor` of the previous page. */
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: components["schemas"]["ApiKey"][];
                            nextCursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        /**
         * Create an API key for the tenant
         * @description The answer carries the key (`ck_...`), shown this once (`Cache-Control: no-store`); only its SHA-256 is stored. Rotate a key by creating its successor, moving clients to it, then revoking the old one.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description A label, e.g. the system that uses the key. */
                        name: string;
                    };
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiKeyWithSecret"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/api-keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke an API key
         * @description Every gateway refuses the key from the moment this answers. A key may revoke itself (this request completes; the next one gets 401). The tenant's last active key is not revoked (409): create another first. Revoking a revoked key changes nothing.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The key's id (not the key). */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Revoked */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                409: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the process answers */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @constant */
                            status?: "ok";
                        };
                    };
                };
                400: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: the database answers and its migrations are current */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Readiness"];
                    };
                };
                400: components["responses"]["Problem"];
                /** @description Not ready */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Readiness"];
                    };
                };
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics of this process
         * @description Open unless the operator sets `CLARION_METRICS_TOKEN`; then `Authorization: Bearer <token>` is required. Series carry no tenant's endpoint or provider ids unless the operator sets `CLARION_METRICS_TENANT_LABELS=true`.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Prometheus text format */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/plain": string;
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": Record<string, never>;
                    };
                };
                400: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the tenant's events, newest first */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (1-200, default 50). */
                    limit?: number;
                    /** @description The `nextCursor` of the previous page. */
                    cursor?: string;
                    /** @description Only this event type. */
                    type?: string;
                    /** @description Only this source. */
                    source?: string;
                    /** @description Only this processing status. */
                    status?: "received" | "processing" | "processed" | "failed";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: components["schemas"]["StoredEvent"][];
                            nextCursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        /**
         * Ingest CloudEvents (binary, structured or batched HTTP content mode)
         * @description Binary mode: attributes in `ce-*` headers, data as the body with its own Content-Type. Structured: `application/cloudevents+json`. Batched: `application/cloudevents-batch+json`, a JSON array; one invalid event refuses the whole batch. Each event's `data` is validated against the contract registered for its `type`. A resent event (same `source` and `id`) is answered under `duplicates` and not processed again. An event is stored exactly as accepted, or refused with 400 naming the field: attributes over their byte limits, more than 32 extensions, data nested more than 64 levels, the NUL character or an unpaired surrogate in any string or key, a number that would not read back as sent (1e400, 12345678901234567890). Binary-mode headers are printable ASCII, the rest percent-encoded as UTF-8 (CloudEvents HTTP binding).
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Binary mode (percent-decoded) */
                    "ce-id"?: string;
                    /** @description Binary mode (percent-decoded) */
                    "ce-source"?: string;
                    /** @description Binary mode (percent-decoded) */
                    "ce-type"?: string;
                    /** @description Binary mode */
                    "ce-specversion"?: "1.0";
                };
                path?: never;
                cookie?: never;
            };
            /** @description Structured or batched CloudEvents, or (binary mode) the event data with its own Content-Type. */
            requestBody: {
                content: {
                    "application/cloudevents+json": components["schemas"]["CloudEvent"];
                    "application/cloudevents-batch+json": components["schemas"]["CloudEvent"][];
                    "*/*": unknown;
                };
            };
            responses: {
                /** @description Accepted */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["IngestResult"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                413: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                503: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        /** CloudEvents webhook abuse-protection handshake */
        options: {
            parameters: {
                query?: never;
                header?: {
                    "WebHook-Request-Origin"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Delivery allowed */
                200: {
                    headers: {
                        "WebHook-Allowed-Origin"?: string;
                        "WebHook-Allowed-Rate"?: string;
                        Allow?: string;
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/events/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read one event and its processing status */
        get: {
            parameters: {
                query?: {
                    /** @description Disambiguates a CloudEvent id used by several sources. */
                    source?: string;
                };
                header?: never;
                path: {
                    /** @description Clarion's event id (`eventId` in the ingest answer) or the CloudEvent `id`. */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["StoredEvent"] & {
                            notifications?: components["schemas"]["Notification"][];
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                409: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/contracts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the contract in effect for every event type: the tenant's current versions and the bundled ones (`bundled: true`) it did not replace */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items?: components["schemas"]["Contract"][];
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/contracts/{type}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a contract: the one in effect (the tenant's current version, else the bundled one), or one of the tenant's versions (`?version=`) */
        get: {
            parameters: {
                query?: {
                    /** @description A specific version. */
                    version?: number;
                };
                header?: never;
                path: {
                    /** @description The CloudEvent type */
                    type: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Contract"] & {
                            versions?: {
                                version?: number;
                                /** Format: date-time */
                                createdAt?: string;
                            }[];
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        /**
         * Register or replace the JSON Schema (2020-12) that an event type's data must match
         * @description The body is the schema itself. Replacing a contract creates a new version; earlier versions stay readable.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The CloudEvent type, e.g. com.acme.order.shipped */
                    type: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": Record<string, never> | boolean;
                    "application/schema+json": Record<string, never> | boolean;
                };
            };
            responses: {
                /** @description Replaced */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Contract"];
                    };
                };
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Contract"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                413: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/workflows": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the tenant's workflows, bundled ones included (`source`) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items?: components["schemas"]["Workflow"][];
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/workflows/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a workflow (the tenant's own, else the bundled one) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Workflow key */
                    key: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Workflow"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        /**
         * Create or replace a workflow (overrides a bundled one of the same key)
         * @description Every channel the workflow can send on (`channels`, `fallbacks`, escalation steps, a digest's channels) needs a template in some locale: inline under `templates` (saved as published versions in the tenant's default locale), a published version, or a bundled one. Otherwise 422 `CLARION_ERR_WORKFLOW_TEMPLATE_MISSING`, `errors` pointing at each channel (`/channels/1`, `/fallbacks/email/0`, `/plugins/escalation/steps/1/channels/0`).
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Workflow key: lower-case letters, digits, . _ - */
                    key: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["WorkflowDefinition"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Workflow"];
                    };
                };
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Workflow"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        post?: never;
        /** Delete the tenant's workflow (a bundled one of that key applies again) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Workflow key */
                    key: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                409: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/subscribers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List subscribers (by id) */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (1-200, default 50). */
                    limit?: number;
                    /** @description The `nextCursor` of the previous page. */
                    cursor?: string;
                    /** @description Members of this team */
                    team?: string;
                    /** @description Members of this project */
                    project?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: components["schemas"]["Subscriber"][];
                            nextCursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/subscribers:bulk": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create or update up to 10,000 subscribers in one call
         * @description Each item is judged as `PUT /v1/subscribers/{subscriberId}` judges one, and sets only the fields it gives (the others are kept). Valid items are written (in transactions of 500), refused ones are listed with their `index`, `id`, code and failing fields (`/subscribers/3/email`): one bad row holds back nothing. An erased id is refused with `CLARION_ERR_SUBSCRIBER_ERASED`; an id repeated within one call is refused the second time. The body is bounded by `CLARION_MAX_BODY_BYTES` like every other (1 MiB by default: about 5,000 small subscribers). `clarion subscribers import` sends files through this route.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["SubscriberBulk"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SubscriberBulkResult"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                413: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/subscribers/{subscriberId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a subscriber */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The tenant's own id for the person */
                    subscriberId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Subscriber"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        /**
         * Create or replace a subscriber
         * @description An id that was erased (`DELETE`) is refused with 409 `CLARION_ERR_SUBSCRIBER_ERASED` unless the body says `"reactivate": true`: then a new subscriber is created under the id (201) and events reach it again; the erased history stays anonymous, attached to no one.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The tenant's own id for the person */
                    subscriberId: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["SubscriberPut"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Subscriber"];
                    };
                };
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Subscriber"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                409: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        post?: never;
        /**
         * Erase a subscriber (GDPR): their personal data removed wherever Clarion stored it; the id is remembered so later events naming it reach no one
         * @description In one transaction: the subscriber row keeps only a marker (a hash of the id); inbox items, sandbox outbox copies, digests, rate-limit and dedup state and their preferences are deleted; their notifications lose their rendered content and decision details, queued work is cancelled; their deliveries and attempts lose the provider's messages and responses; events lose the entries naming them and their email, phone and name; webhook messages and the audit trail lose their id, email and phone. The `subscriber.erased` audit entry counts what was removed. README "Erasing a subscriber" lists what each table keeps.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The tenant's own id for the person */
                    subscriberId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Erased */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/adapters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Installed channel adapters and their configuration schemas */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items?: components["schemas"]["Adapter"][];
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/providers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant's provider configurations (secrets masked) */
        get: {
            parameters: {
                query?: {
                    /** @description Only this channel */
                    channel?: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items?: components["schemas"]["Provider"][];
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        /** Add a provider configuration (credentials encrypted at rest) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ProviderInput"];
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Provider"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/providers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a provider configuration (secrets masked) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Provider id */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Provider"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        /** Delete a provider configuration */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Provider id */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        options?: never;
        head?: never;
        /** Change a provider: name, priority, enabled, config (merged; secrets left out or sent masked keep their value; null removes a key) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Provider id */
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string | null;
                        priority?: number;
                        enabled?: boolean;
                        maxPerSecond?: number | null;
                        config?: Record<string, never>;
                    };
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Provider"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        trace?: never;
    };
    "/v1/providers/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a test message through this provider (nothing is recorded as a delivery) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Provider id */
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        to: string | Record<string, never>;
                    };
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @constant */
                            ok?: true;
                            providerMessageId?: string | null;
                            status?: string;
                            details?: Record<string, never> | null;
                            durationMs?: number;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/providers/{adapter}/callbacks/{providerId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Provider verification handshakes (Meta's hub.challenge) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Adapter name */
                    adapter: string;
                    /** @description Provider id */
                    providerId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The challenge echoed back */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/plain": string;
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                403: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        /** Provider callbacks: delivery receipts, inbound messages (STOP, ACK), voice keypresses. Verified by the adapter with the provider's signature; no API key */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Adapter name, e.g. twilio-sms */
                    adapter: string;
                    /** @description Provider id */
                    providerId: string;
                };
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/x-www-form-urlencoded": Record<string, never>;
                    "application/json": unknown;
                };
            };
            responses: {
                /** @description Applied; the body is what the provider expects (TwiML, empty) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "*/*": unknown;
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                403: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/notifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List notifications, newest first */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (1-200, default 50). */
                    limit?: number;
                    /** @description The `nextCursor` of the previous page. */
                    cursor?: string;
                    /** @description Only this status */
                    status?: "pending" | "scheduled" | "batched" | "suppressed" | "sent" | "delivered" | "partially_delivered" | "failed" | "seen" | "read" | "acknowledged" | "archived";
                    /** @description Only this subscriber id */
                    subscriber?: string;
                    /** @description Only this workflow key */
                    workflow?: string;
                    /** @description Created at or after (RFC 3339) */
                    since?: string;
                    /** @description Created before (RFC 3339) */
                    until?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: components["schemas"]["Notification"][];
                            nextCursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/notifications/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A notification with its pipeline decisions, deliveries and every attempt */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Notification id */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["NotificationDetail"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List deliveries; `?status=dead` is the dead-letter view */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (1-200, default 50). */
                    limit?: number;
                    /** @description The `nextCursor` of the previous page. */
                    cursor?: string;
                    /** @description Only this status */
                    status?: "pending" | "sending" | "retrying" | "sent" | "delivered" | "undelivered" | "bounced" | "read" | "failed" | "dead" | "cancelled";
                    /** @description Only this channel */
                    channel?: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: components["schemas"]["Delivery"][];
                            nextCursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/deliveries/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A delivery with its attempts */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Delivery id */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DeliveryDetail"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/deliveries/{id}/requeue": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a dead or failed delivery again (attempts and providers start over) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Delivery id */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Requeued */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DeliveryDetail"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                409: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/outbox": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the sandbox adapter recorded instead of sending */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (1-200, default 50). */
                    limit?: number;
                    /** @description The `nextCursor` of the previous page. */
                    cursor?: string;
                    /** @description Only this channel */
                    channel?: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                    /** @description Only messages to this subscriber id, email or phone */
                    to?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: components["schemas"]["OutboxMessage"][];
                            nextCursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The audit trail: who did what to what, newest first */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (1-200, default 50). */
                    limit?: number;
                    /** @description The `nextCursor` of the previous page. */
                    cursor?: string;
                    /** @description e.g. workflow, provider, delivery, notification */
                    targetType?: string;
                    /** @description The target id */
                    targetId?: string;
                    /** @description e.g. provider.created */
                    action?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: components["schemas"]["AuditEntry"][];
                            nextCursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenant": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant the API key belongs to */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Tenant"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change the tenant's settings (merged into the current ones) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        settings: {
                            /** @description Accept event types that have no contract */
                            acceptUnvalidatedTypes?: boolean;
                            defaultLocale?: string;
                            brand?: {
                                name?: string;
                                color?: string;
                                logoUrl?: string;
                            };
                        };
                    };
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Tenant"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        WorkflowDefinition: {
            /** @description The CloudEvent type that starts this workflow */
            trigger: string;
            name?: string;
            description?: string;
            /** @description For preferences */
            category?: string;
            /**
             * @default normal
             * @enum {unknown}
             */
            priority: "low" | "normal" | "high" | "critical";
            /** @default /data/recipients */
            recipients: string | unknown[];
            channels: ("email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app")[];
            /** @default {} */
            fallbacks: {
                [key: string]: ("email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app")[];
            };
            /**
             * @description Keep retrying a channel after its fallback channels started (default: the fallback takes over)
             * @default false
             */
            retryOriginal: boolean;
            templates?: {
                [key: string]: Record<string, never>;
            };
            /** @default {} */
            plugins: Record<string, never>;
            required?: boolean;
            /** @default true */
            enabled: boolean;
        };
        Workflow: {
            key: string;
            /** @enum {unknown} */
            source: "tenant" | "bundled";
            /** Format: date-time */
            updatedAt: string | null;
            /** @description The CloudEvent type that starts this workflow */
            trigger: string;
            name?: string;
            description?: string;
            /** @description For preferences */
            category?: string;
            /**
             * @default normal
             * @enum {unknown}
             */
            priority: "low" | "normal" | "high" | "critical";
            /** @default /data/recipients */
            recipients: string | unknown[];
            channels: ("email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app")[];
            /** @default {} */
            fallbacks: {
                [key: string]: ("email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app")[];
            };
            /**
             * @description Keep retrying a channel after its fallback channels started (default: the fallback takes over)
             * @default false
             */
            retryOriginal: boolean;
            templates?: {
                [key: string]: Record<string, never>;
            };
            /** @default {} */
            plugins: Record<string, never>;
            required?: boolean;
            /** @default true */
            enabled: boolean;
        };
        SubscriberInput: {
            name?: string | null;
            /** Format: email */
            email?: string | null;
            /** @description E.164, e.g. +14155550100 */
            phone?: string | null;
            /** @description BCP 47, e.g. fr-CA */
            locale?: string | null;
            /** @description IANA, e.g. Europe/Paris */
            timezone?: string | null;
            devices?: ({
                /** @constant */
                platform: "fcm";
                /** @description The FCM registration token */
                token: string;
                /** @description Shown to admins, e.g. "Ada's phone" */
                label?: string;
            } | {
                /** @constant */
                platform: "apns";
                /** @description The APNs device token */
                token: string;
                /** @description Shown to admins, e.g. "Ada's phone" */
                label?: string;
            } | {
                /** @constant */
                platform: "webpush";
                /** @description The browser's PushSubscription (`subscription.toJSON()`) */
                subscription: {
                    endpoint: string;
                    expirationTime?: number | null;
                    keys: {
                        p256dh: string;
                        auth: string;
                    };
                };
                /** @description Shown to admins, e.g. "Ada's phone" */
                label?: string;
            })[];
            /** @description e.g. {"slack": {"channel": "C123"}, "teams": {"webhookUrl": "..."}} */
            chat?: Record<string, never>;
            teams?: string[];
            projects?: string[];
            data?: Record<string, never>;
        };
        SubscriberPut: components["schemas"]["SubscriberInput"] & {
            /** @description Create the subscriber again although the id was erased (not stored) */
            reactivate?: boolean;
        };
        SubscriberBulk: {
            subscribers: (components["schemas"]["SubscriberInput"] & {
                /** @description The tenant's own id for the person */
                id: string;
            })[];
        };
        SubscriberBulkResult: {
            created: number;
            updated: number;
            refused: {
                /** @description Position of the item in `subscribers` */
                index: number;
                id: string | null;
                /** @enum {unknown} */
                code: "CLARION_ERR_SUBSCRIBER_INVALID" | "CLARION_ERR_SUBSCRIBER_ERASED";
                errors: {
                    pointer: string;
                    message: string;
                }[];
            }[];
        };
        Subscriber: components["schemas"]["SubscriberInput"] & {
            /** Format: uuid */
            id?: string;
            subscriberId?: string;
            /** Format: date-time */
            createdAt?: string | null;
            /** Format: date-time */
            updatedAt?: string | null;
        };
        Adapter: {
            name?: string;
            /** @enum {unknown} */
            channel?: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            channels?: ("email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app")[];
            implicit?: boolean;
            description?: string;
            packageName?: string;
            configSchema?: Record<string, never>;
        };
        ProviderInput: {
            /** @enum {unknown} */
            channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            /** @description An installed adapter (GET /v1/adapters) */
            adapter: string;
            name?: string;
            /** @description Providers of a channel are tried in ascending priority */
            priority?: number;
            enabled?: boolean;
            /** @description Throughput cap: at most this many messages per second through this provider, across all workers */
            maxPerSecond?: number | null;
            /** @description Validated against the adapter's configSchema. A value may be a reference: env:NAME or file:/path */
            config: Record<string, never>;
        };
        Provider: {
            /** Format: uuid */
            id?: string;
            /** @enum {unknown} */
            channel?: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            adapter?: string;
            name?: string | null;
            priority?: number;
            enabled?: boolean;
            maxPerSecond?: number | null;
            /** @description Secrets masked as ******** */
            config?: Record<string, never>;
            circuit?: {
                /** @enum {unknown} */
                state?: "closed" | "open" | "half_open";
                /** Format: date-time */
                changedAt?: string | null;
            };
            lastError?: string | null;
            /**
             * Format: date-time
             * @description When lastError happened
             */
            lastErrorAt?: string | null;
            /** Format: date-time */
            createdAt?: string | null;
            /** Format: date-time */
            updatedAt?: string | null;
        };
        Notification: {
            /** Format: uuid */
            id?: string;
            /** Format: uuid */
            eventId?: string;
            /** @description null once the subscriber was erased */
            subscriberId?: string | null;
            workflow?: string;
            /** @enum {unknown} */
            priority?: "low" | "normal" | "high" | "critical";
            /**
             * @description Rolled up from its deliveries: partially_delivered when some channels reached the recipient and the others failed for good
             * @enum {unknown}
             */
            status?: "pending" | "scheduled" | "batched" | "suppressed" | "sent" | "delivered" | "partially_delivered" | "failed" | "seen" | "read" | "acknowledged" | "archived";
            channels?: ("email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app")[];
            decisions?: {
                plugin?: string;
                /** @enum {unknown} */
                decision?: "continue" | "suppress" | "defer" | "batch" | "schedule";
                reason?: string;
                at?: string;
            }[];
            /** Format: date-time */
            scheduledFor?: string | null;
            /** Format: date-time */
            seenAt?: string | null;
            /** Format: date-time */
            readAt?: string | null;
            /** Format: date-time */
            acknowledgedAt?: string | null;
            /** Format: date-time */
            createdAt?: string | null;
            /** Format: date-time */
            updatedAt?: string | null;
        };
        NotificationDetail: components["schemas"]["Notification"] & {
            content?: Record<string, never> | null;
            deliveries?: components["schemas"]["DeliveryDetail"][];
        };
        Delivery: {
            /** Format: uuid */
            id?: string;
            /** Format: uuid */
            notificationId?: string;
            /** @enum {unknown} */
            channel?: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            /** @enum {unknown} */
            status?: "pending" | "sending" | "retrying" | "sent" | "delivered" | "undelivered" | "bounced" | "read" | "failed" | "dead" | "cancelled";
            providerId?: string | null;
            adapter?: string | null;
            attemptCount?: number;
            providerMessageId?: string | null;
            error?: {
                /** @enum {unknown} */
                class?: "transient" | "permanent" | "config";
                code?: string | null;
                message?: string | null;
            } | null;
            /** Format: date-time */
            nextAttemptAt?: string | null;
            /**
             * Format: date-time
             * @description When the current run of transient failures began
             */
            failingSince?: string | null;
            fallbackOf?: string | null;
            /** Format: date-time */
            sentAt?: string | null;
            /** Format: date-time */
            deliveredAt?: string | null;
            /** Format: date-time */
            createdAt?: string | null;
            /** Format: date-time */
            updatedAt?: string | null;
        };
        Attempt: {
            attempt?: number;
            providerId?: string | null;
            adapter?: string | null;
            /** @enum {unknown} */
            outcome?: "success" | "transient" | "permanent" | "config" | "circuit_open";
            errorCode?: string | null;
            /**
             * @description Permanent failures: about the recipient (the fallback channel took over) or the provider (the next provider was tried)
             * @enum {unknown}
             */
            errorScope?: "recipient" | "provider" | null;
            errorMessage?: string | null;
            /** @description The probe of a half-open circuit: its failure spent none of the delivery's attempts */
            probe?: boolean;
            providerMessageId?: string | null;
            response?: string | null;
            /** Format: date-time */
            startedAt?: string | null;
            durationMs?: number;
        };
        DeliveryDetail: components["schemas"]["Delivery"] & {
            attempts?: components["schemas"]["Attempt"][];
        };
        OutboxMessage: {
            id?: string;
            adapter?: string;
            /** @enum {unknown} */
            channel?: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            notificationId?: string | null;
            deliveryId?: string | null;
            to?: Record<string, never>;
            content?: Record<string, never>;
            headers?: Record<string, never> | null;
            /** Format: date-time */
            createdAt?: string | null;
        };
        AuditEntry: {
            id?: number;
            actor?: string;
            action?: string;
            targetType?: string;
            targetId?: string | null;
            summary?: Record<string, never>;
            /** Format: date-time */
            createdAt?: string | null;
        };
        WebhookEndpointInput: {
            /** @description http:// or https:// URL, without credentials. Must reach a public address unless the server allows private targets. */
            url: string;
            description?: string | null;
            /** @description Event types (`io.clarion.notification.delivered`), prefix wildcards (`io.clarion.notification.*`) or `*`. Null or absent: every type. */
            eventTypes?: string[] | null;
            /** @description Default true. Enabling a disabled endpoint clears its failure streak. */
            enabled?: boolean;
            /** @description Messages per second (bursts of one second allowed); null: unlimited. */
            rateLimit?: number | null;
            /** @description Bring your own `whsec_` secret (24-64 bytes); generated otherwise. */
            secret?: string;
        };
        WebhookEndpointPatch: {
            /** @description http:// or https:// URL, without credentials. Must reach a public address unless the server allows private targets. */
            url?: string;
            description?: string | null;
            /** @description Event types (`io.clarion.notification.delivered`), prefix wildcards (`io.clarion.notification.*`) or `*`. Null or absent: every type. */
            eventTypes?: string[] | null;
            /** @description Default true. Enabling a disabled endpoint clears its failure streak. */
            enabled?: boolean;
            /** @description Messages per second (bursts of one second allowed); null: unlimited. */
            rateLimit?: number | null;
        };
        WebhookEventType: {
            type: string;
            description: string;
        };
        WebhookEndpoint: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            tenantId?: string;
            /** @description http:// or https:// URL, without credentials. Must reach a public address unless the server allows private targets. */
            url: string;
            description?: string | null;
            /** @description Event types (`io.clarion.notification.delivered`), prefix wildcards (`io.clarion.notification.*`) or `*`. Null or absent: every type. */
            eventTypes: string[] | null;
            /** @description Default true. Enabling a disabled endpoint clears its failure streak. */
            enabled: boolean;
            /** @description Messages per second (bursts of one second allowed); null: unlimited. */
            rateLimit?: number | null;
            /** @description Why it is disabled: by whom, "the endpoint answered 410 Gone", or failing for 5 days. */
            disabledReason?: string | null;
            /** Format: date-time */
            disabledAt?: string | null;
            /**
             * Format: date-time
             * @description Since when every attempt has failed; after 5 days the endpoint is disabled.
             */
            failingSince?: string | null;
            /**
             * Format: date-time
             * @description While the rotated-out secret still signs, until when.
             */
            previousSecretExpiresAt?: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt?: string;
        };
        WebhookEndpointWithSecret: components["schemas"]["WebhookEndpoint"] & {
            /** @description `whsec_` + base64 key: shown only now. */
            secret: string;
        };
        WebhookMessage: {
            /** Format: uuid */
            id: string;
            /** @description The `webhook-id` header and the CloudEvent `id`; stable across retries and replays. */
            msgId: string;
            /** Format: uuid */
            endpointId: string;
            eventType: string;
            /** @enum {unknown} */
            status: "pending" | "retrying" | "delivered" | "failed";
            attemptCount: number;
            /** Format: date-time */
            nextAttemptAt?: string | null;
            lastError?: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt?: string;
            /** @description The CloudEvent (structured JSON) as sent; in single reads. */
            payload?: Record<string, never>;
        };
        WebhookAttempt: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            messageId: string;
            msgId: string;
            eventType?: string;
            /** Format: uuid */
            endpointId?: string;
            /** @description Attempt number of the message over its whole life. */
            attempt: number;
            /** @enum {unknown} */
            trigger?: "event" | "retry" | "replay" | "recover";
            statusCode?: number | null;
            /** @enum {unknown} */
            outcome: "success" | "http_error" | "redirect" | "timeout" | "network_error" | "blocked";
            /** @description What went wrong, e.g. `HTTP 500`, `no response within 15 s`, or the SSRF guard refusal. */
            error?: string | null;
            /** @description The first 20 KB of the response body. */
            responseBody?: string | null;
            responseBodyTruncated?: boolean;
            durationMs: number;
            /** Format: date-time */
            startedAt: string;
            /**
             * Format: date-time
             * @description When the next attempt is due, if this one is retried.
             */
            nextRetryAt?: string | null;
        };
        WebhookEndpointStats: {
            /** Format: date-time */
            since?: string;
            messages?: {
                pending?: number;
                retrying?: number;
                delivered?: number;
                failed?: number;
            };
            attempts?: {
                total?: number;
                succeeded?: number;
                failed?: number;
                byOutcome?: {
                    [key: string]: number;
                };
            };
            durationMs?: {
                p50?: number | null;
                p95?: number | null;
                max?: number | null;
            };
        };
        /** @description Nunjucks source of each part */
        TemplateParts: {
            actions?: string;
            blocks?: string;
            body?: string;
            data?: string;
            html?: string;
            preheader?: string;
            subject?: string;
            text?: string;
            title?: string;
            url?: string;
        };
        TemplateWarning: {
            message: string;
            part?: string;
            line?: number;
            column?: number;
            /** @description e.g. `data.quotation.total` */
            variable?: string;
        };
        TemplateSummary: {
            workflow?: string;
            /** @enum {unknown} */
            channel?: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            locale?: string;
            /**
             * @description What renders now
             * @enum {unknown}
             */
            source?: "tenant" | "bundled" | "none";
            /** @description A bundled default exists */
            bundled?: boolean;
            publishedVersion?: number | null;
            latestVersion?: number | null;
            /** Format: date-time */
            updatedAt?: string | null;
        };
        TemplateVersionSummary: {
            workflow?: string;
            /** @enum {unknown} */
            channel?: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            locale?: string;
            version?: number;
            /** @enum {unknown} */
            status?: "draft" | "published" | "archived";
            /**
             * Format: date-time
             * @description Null for a bundled template
             */
            createdAt?: string | null;
            createdBy?: string | null;
            /** Format: date-time */
            publishedAt?: string | null;
            /** @description Set on versions made by a rollback */
            basedOnVersion?: number | null;
        };
        TemplateVersion: {
            workflow?: string;
            /** @enum {unknown} */
            channel?: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            locale?: string;
            version?: number;
            /** @enum {unknown} */
            status?: "draft" | "published" | "archived";
            /**
             * Format: date-time
             * @description Null for a bundled template
             */
            createdAt?: string | null;
            createdBy?: string | null;
            /** Format: date-time */
            publishedAt?: string | null;
            /** @description Set on versions made by a rollback */
            basedOnVersion?: number | null;
            parts?: components["schemas"]["TemplateParts"];
        };
        Template: {
            workflow?: string;
            /** @enum {unknown} */
            channel?: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            locale?: string;
            version?: number | null;
            /** @enum {unknown} */
            status?: "draft" | "published" | "archived" | null;
            /**
             * Format: date-time
             * @description Null for a bundled template
             */
            createdAt?: string | null;
            createdBy?: string | null;
            /** Format: date-time */
            publishedAt?: string | null;
            /** @description Set on versions made by a rollback */
            basedOnVersion?: number | null;
            /** @enum {unknown} */
            source?: "tenant" | "bundled";
            parts?: components["schemas"]["TemplateParts"];
            /** @description Bundled templates: the file the parts come from */
            file?: string;
            publishedVersion?: number | null;
            latestVersion?: number | null;
        };
        TemplatePreview: {
            workflow: string;
            /** @enum {unknown} */
            channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            locale: string;
            /** @enum {unknown} */
            source: "tenant" | "bundled" | "inline";
            version?: number | null;
            /** @description What the adapter would receive (RenderedContent): subject/html/text, text, title/body/url/data, blocks, actions, json */
            parts: Record<string, never>;
            warnings: components["schemas"]["TemplateWarning"][];
            sms?: {
                /** @enum {unknown} */
                encoding?: "GSM-7" | "UCS-2";
                segments?: number;
                /** @description Septets (GSM-7) or UTF-16 code units (UCS-2) */
                units?: number;
                characters?: number;
                perSegment?: number;
                nonGsmCharacters?: string[];
            };
            push?: {
                title?: {
                    length?: number;
                    displayLimit?: number;
                    truncated?: boolean;
                };
                body?: {
                    length?: number;
                    displayLimit?: number;
                    truncated?: boolean;
                };
                payloads?: {
                    /** @enum {unknown} */
                    platform?: "fcm" | "apns" | "webpush";
                    bytes?: number;
                    limit?: number;
                    fits?: boolean;
                }[];
                fits?: boolean;
            };
        };
        TemplateLayout: {
            name?: string;
            /** @enum {unknown} */
            source?: "tenant" | "bundled";
            /** @description Nunjucks source */
            content?: string;
            overridesBundled?: boolean;
            /** Format: date-time */
            updatedAt?: string | null;
            updatedBy?: string | null;
        };
        PreferenceSettings: {
            /** @description Whole channels on or off (SMS STOP sets `sms: false` here) */
            channels?: {
                [key: string]: boolean;
            };
            /** @description Per workflow category: `enabled` and/or per channel */
            categories?: {
                [key: string]: {
                    [key: string]: boolean;
                };
            };
            /** @description Per workflow key: `enabled` and/or per channel */
            workflows?: {
                [key: string]: {
                    [key: string]: boolean;
                };
            };
            /** @description `null` switches off inherited quiet hours */
            quietHours?: null | {
                /** @default true */
                enabled: boolean;
                /** @description Local start time, HH:mm */
                start: string;
                /** @description Local end time, HH:mm (before start: the window crosses midnight) */
                end: string;
                /** @description ISO weekdays the window starts on (1 = Monday); default every day */
                days?: number[];
                /** @description IANA time zone; default the subscriber's, else UTC */
                timezone?: string;
            };
            digest?: null | {
                /** @description false: workflows with the digest plugin send at once for this subscriber */
                enabled?: boolean;
                /** @description true: a daily summary of the last 24 hours */
                daily?: boolean;
                /** @description Local hour of the daily summary (default 8) */
                hour?: number;
            };
        };
        PreferenceInput: {
            settings: components["schemas"]["PreferenceSettings"];
        };
        Preference: {
            /** @enum {unknown} */
            scope: "tenant" | "team" | "project" | "subscriber";
            scopeId: string;
            settings: components["schemas"]["PreferenceSettings"];
            /** Format: date-time */
            updatedAt?: string | null;
        };
        SubscriberPreferences: {
            subscriberId: string;
            settings: components["schemas"]["PreferenceSettings"];
            inherited: components["schemas"]["Preference"][];
            /** @description The quiet hours that apply, with the scope they come from */
            quietHours?: Record<string, never> | null;
            workflows: {
                workflow?: string;
                category?: string | null;
                /** @description Required workflows ignore opt-outs */
                required?: boolean;
                channels?: {
                    [key: string]: {
                        enabled?: boolean;
                        source?: Record<string, never> | null;
                    };
                };
            }[];
        };
        ApiKey: {
            /** Format: uuid */
            id: string;
            name: string;
            /** @description The first 10 characters of the key. */
            prefix: string;
            /** Format: date-time */
            createdAt: string;
            /**
             * Format: date-time
             * @description Approximate: noted at most once a minute, when a gateway looks the key up rather than using its cached answer.
             */
            lastUsedAt: string | null;
            /** Format: date-time */
            revokedAt: string | null;
        };
        ApiKeyWithSecret: components["schemas"]["ApiKey"] & {
            /** @description The API key, shown only in this answer. */
            key: string;
        };
        Problem: {
            /** @description `urn:clarion:error:<code>` */
            type: string;
            title: string;
            status: number;
            detail?: string;
            /** @description Stable error code, listed in docs/errors.md */
            code: string;
            instance?: string;
            errors?: {
                /** @description JSON Pointer to the failing field */
                pointer: string;
                message: string;
                /** @description Template errors: 1-based line in the part */
                line?: number;
                /** @description Template errors: 1-based column */
                column?: number;
                /** @description Template errors: the unknown filter, test or tag, or the delimiter left open */
                name?: string;
            }[];
        };
        CloudEvent: {
            /** @constant */
            specversion: "1.0";
            /** @description At most 1024 bytes (UTF-8). */
            id: string;
            /**
             * Format: uri-reference
             * @description At most 1024 bytes (UTF-8).
             */
            source: string;
            /** @description At most 255 bytes (UTF-8). */
            type: string;
            /** @description At most 1024 bytes (UTF-8). */
            subject?: string;
            /**
             * Format: date-time
             * @description RFC 3339, at most 9 fractional digits; kept as sent.
             */
            time?: string;
            /** @description At most 255 bytes (UTF-8). */
            datacontenttype?: string;
            /**
             * Format: uri
             * @description At most 2048 bytes (UTF-8).
             */
            dataschema?: string;
            /** @description Any JSON, nested at most 64 levels; numbers must read back as sent (send larger or more precise ones as strings). */
            data?: unknown;
            data_base64?: string;
        } & {
            [key: string]: string | number | boolean;
        };
        EventRef: {
            /** @description The CloudEvent id */
            id: string;
            source: string;
            /**
             * Format: uuid
             * @description Clarion's id of the stored event
             */
            eventId: string;
        };
        IngestResult: {
            accepted: components["schemas"]["EventRef"][];
            duplicates: components["schemas"]["EventRef"][];
        };
        StoredEvent: {
            /** Format: uuid */
            id: string;
            /** @enum {unknown} */
            status: "received" | "processing" | "processed" | "failed";
            /** @description What went wrong processing it (recipients that cannot be resolved...) */
            error?: string | null;
            /** @description Why a processed event produced nothing, when that is no error (no workflow for its type) */
            notice?: string | null;
            /** Format: date-time */
            receivedAt: string;
            /** Format: date-time */
            processedAt?: string | null;
            contractVersion?: number | null;
            cloudevent: components["schemas"]["CloudEvent"];
        };
        /** @description A tenant's contract (a versioned row), or a bundled workflow's `schema.json` (`bundled: true`), in effect for its trigger type until the tenant registers its own. */
        Contract: {
            /**
             * Format: uuid
             * @description Null for a bundled contract
             */
            id: string | null;
            type: string;
            /** @description Null for a bundled contract */
            version: number | null;
            schema: Record<string, never> | boolean;
            /** Format: date-time */
            createdAt: string | null;
            /** @description True: the `schema.json` of a bundled workflow (the tenant's own contract for the type would replace it) */
            bundled: boolean;
            /** @description Bundled contracts: the bundled workflow it comes from (`templates/<workflow>/schema.json`) */
            workflow?: string;
            /** @description Tenant contracts: present (true) when it replaces a bundled workflow's contract */
            replacesBundled?: boolean;
        };
        TenantSettings: {
            /** @description Accept event types that have no contract */
            acceptUnvalidatedTypes?: boolean;
            defaultLocale?: string;
            brand?: {
                name?: string;
                color?: string;
                logoUrl?: string;
            };
        };
        Tenant: {
            /** Format: uuid */
            id: string;
            name: string;
            settings: {
                /** @description Accept event types that have no contract */
                acceptUnvalidatedTypes?: boolean;
                defaultLocale?: string;
                brand?: {
                    name?: string;
                    color?: string;
                    logoUrl?: string;
                };
            };
            /** Format: date-time */
            createdAt: string;
        };
        Readiness: {
            /** @enum {unknown} */
            status?: "ready" | "not ready";
            checks?: {
                [key: string]: string;
            };
        };
    };
    responses: {
        /** @description An RFC 9457 problem document */
        Problem: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description A server error (500, or 503 while the database is unavailable), as an RFC 9457 problem document */
        ServerError: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
