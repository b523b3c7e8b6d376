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
                            items: components["schemas"]["WebhookEventType"][];
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
                            items: components["schemas"]["WebhookMessage"][];
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
                    /** @description Only this locale (BCP 47, e.g. fr or fr-CA). */
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
         * @description Renders what a subscriber would receive, without sending anything. Give `template` (inline parts) to render unsaved edits, `version` to render a stored version, or neither to render what deliveries would use (the published tenant template, else the bundled one). Data comes from `data`, a stored event (`eventId`), or the bundled workflow's sample, else the tenant's latest event of the workflow's trigger type (a warning says which, or that there is none). SMS previews report the encoding and segment count; push previews the payload size against each platform's limit.
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
                            warnings: components["schemas"]["TemplateWarning"][];
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
                            workflow: string;
                            /** @enum {unknown} */
                            channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                            locale: string;
                            archivedVersion: number;
                            /**
                             * @description What renders now
                             * @enum {unknown}
                             */
                            source: "bundled" | "none";
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
    "/v1/inbox": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The subscriber's inbox, latest first (an item back from a snooze counts from its return); cursor-paginated */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (1-100, default 50). */
                    limit?: number;
                    /** @description The `nextCursor` of the previous page. */
                    cursor?: string;
                    /** @description unread, read, unseen, seen (of the inbox: neither archived nor snoozed), archived, snoozed, or all. Default: the inbox. */
                    status?: "unread" | "read" | "unseen" | "seen" | "archived" | "snoozed" | "all";
                    /** @description Only these categories (comma-separated). */
                    category?: string[];
                    /** @description Only these workflows (comma-separated keys). */
                    workflow?: string[];
                    /** @description Only items with any of these tags (comma-separated). */
                    tags?: string[];
                    /** @description Arrived at or after (RFC 3339). */
                    since?: string;
                    /** @description Arrived before (RFC 3339). */
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
                            items: components["schemas"]["InboxItem"][];
                            nextCursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                403: components["responses"]["Problem"];
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
    "/v1/inbox/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The subscriber's inbox live: a WebSocket (Upgrade: websocket) or Server-Sent Events (Accept: text/event-stream) at this one path
         * @description Messages are JSON objects with a `type`: `ready` {cursor, counts, heartbeatMs} once live; each change, `item.created` / `item.updated` {cursor, item, counts, reason?} or `items.updated` {cursor, ids, patch, counts, reason}; `reset` {cursor, counts} when the cursor given cannot be resumed from (reload the list); `heartbeat` {at}. SSE events are named by the type and carry the cursor as their id. Reconnect with `cursor` (or SSE `Last-Event-ID`) to get every change after it once, in order. A client that does not read is cut (more than CLARION_INBOX_MAX_BUFFER_BYTES unsent); a WebSocket that misses a ping is cut; the stream ends when the token expires (close 4001). The token goes in `?token=` (browsers cannot send headers on these) or the Authorization header; a refused WebSocket upgrade gets the problem document as its HTTP answer.
         */
        get: {
            parameters: {
                query?: {
                    /** @description The inbox token (scope inbox:read), when the Authorization header cannot be sent. */
                    token?: string;
                    /** @description The `cursor` of the last change handled: the stream replays what came after it. */
                    cursor?: string;
                };
                header?: {
                    /** @description SSE: the same as `cursor` (EventSource sends it by itself when it reconnects) */
                    "Last-Event-ID"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Switching to a WebSocket */
                101: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Server-Sent Events */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/event-stream": string;
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                403: components["responses"]["Problem"];
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
    "/v1/inbox/counts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Total, unread and unseen items of the inbox (neither archived nor snoozed), in total and per category, in one query */
        get: {
            parameters: {
                query?: {
                    /** @description Only these categories (comma-separated). */
                    category?: string[];
                    /** @description Only these workflows (comma-separated keys). */
                    workflow?: string[];
                    /** @description Only items with any of these tags (comma-separated). */
                    tags?: string[];
                    /** @description Arrived at or after (RFC 3339). */
                    since?: string;
                    /** @description Arrived before (RFC 3339). */
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
                        "application/json": components["schemas"]["InboxCounts"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                403: components["responses"]["Problem"];
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
    "/v1/inbox/{itemId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change an item: seen, read or unread, archived or back, snoozed until a time (it comes back unread) or back now
         * @description Read, seen and archived flow into the notification's status (never back down), the audit trail and the webhooks `io.clarion.notification.seen|read|archived`; a read acknowledges the notification when its workflow has `inAppReadAcknowledges`.
         */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The inbox item id */
                    itemId: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /**
                         * @description The item was shown (an item seen stays seen)
                         * @constant
                         */
                        seen?: true;
                        /** @description true: read; false: unread again (the notification stays read) */
                        read?: boolean;
                        /** @description true: archived (out of the inbox); false: back in it */
                        archived?: boolean;
                        /**
                         * Format: date-time
                         * @description Out of the inbox until then (future, at most 90 days); it comes back unread. null: back now
                         */
                        snoozedUntil?: string | null;
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
                        "application/json": components["schemas"]["InboxItem"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                403: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        trace?: never;
    };
    "/v1/inbox/mark": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mark many items at once: all read, all seen, archive all, archive the read ones; of the inbox, or of a filter or a list of ids (at most 5000 per call: `more` says when some are left) */
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
                        /**
                         * @description read, seen, archive (all selected), archive_read (the read ones)
                         * @enum {unknown}
                         */
                        action: "read" | "seen" | "archive" | "archive_read";
                        /** @description Only these items */
                        ids?: string[];
                        filter?: {
                            category?: string[];
                            workflow?: string[];
                            tags?: string[];
                            /** Format: date-time */
                            since?: string;
                            /** Format: date-time */
                            until?: string;
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
                        "application/json": {
                            updated: number;
                            /** @description Some items of the selection are left for the next call */
                            more: boolean;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                403: components["responses"]["Problem"];
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
    "/v1/inbox/{itemId}/actions/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Record the action button taken (`actions[].key` of the item): the item is read, and the webhook io.clarion.notification.action carries the key */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The inbox item id */
                    itemId: string;
                    /** @description The action key */
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
                        "application/json": components["schemas"]["InboxItem"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                403: components["responses"]["Problem"];
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
    "/v1/inbox/preferences": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The subscriber's own preferences and what applies to each workflow and channel (as GET /v1/subscribers/{id}/preferences); token scope `preferences` */
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
                        "application/json": components["schemas"]["SubscriberPreferences"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                403: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change the subscriber's own preferences (merged into them): e.g. {"settings": {"categories": {"orders": {"email": false}}}} */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
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
                403: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        trace?: never;
    };
    "/v1/tenant/inbox-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant's inbox secret (created on first read): your server computes subscriber hashes with it (HMAC-SHA256 of the subscriber id, hex) */
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
                        "application/json": components["schemas"]["InboxSecret"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        /** Rotate the inbox secret: every subscriber hash and inbox token made with the old one stops working at once */
        post: {
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
                        "application/json": components["schemas"]["InboxSecret"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/subscribers/{subscriberId}/inbox-token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mint a short-lived inbox token for the subscriber (created bare if unknown): it opens that subscriber's inbox and nothing else */
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
                        /**
                         * @description How long the token is valid
                         * @default 3600
                         */
                        ttlSeconds?: number;
                        /** @description What the token may do (default: all): read the feed and stream, change item states, read and change the subscriber's own preferences */
                        scopes?: ("inbox:read" | "inbox:write" | "preferences")[];
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
                        "application/json": components["schemas"]["InboxToken"];
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
    "/v1/subscribers/{subscriberId}/presence": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Whether the subscriber has an in-app stream open on some gateway now (presence: what the presence plugin decides on) */
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
                        "application/json": {
                            subscriberId: string;
                            online: boolean;
                            /** @description Open streams, over every gateway */
                            connections: number;
                            /**
                             * Format: date-time
                             * @description The latest refresh of the presence by a gateway
                             */
                            lastSeenAt: string | null;
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
    "/v1/inbox/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Exchange a subscriber hash (HMAC-SHA256 of the subscriber id under the inbox secret, hex; the scheme Novu uses) for an inbox token */
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
                        tenantId: string;
                        subscriberId: string;
                        /** @description HMAC-SHA256 of the subscriber id under the inbox secret, hex */
                        subscriberHash: string;
                        /**
                         * @description How long the token is valid
                         * @default 3600
                         */
                        ttlSeconds?: number;
                        /** @description What the token may do (default: all): read the feed and stream, change item states, read and change the subscriber's own preferences */
                        scopes?: ("inbox:read" | "inbox:write" | "preferences")[];
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
                        "application/json": components["schemas"]["InboxToken"];
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
    "/v1/inbox/widget.js": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The `<clarion-inbox>` web component (an ES module; docs/inbox.md): a bell with the unread count, the live feed, preferences
         * @description Embed it with `<script type="module" src=".../v1/inbox/widget.js"></script>` and `<clarion-inbox token="cin_...">`. Gzipped when accepted (under 25 KB), with an ETag (`If-None-Match` answers 304). `X-Clarion-Widget-Version` names the version; `?v=<that version>` is cached for good, the bare address for 5 minutes. Served to any origin (CORS), as every `/v1/inbox` route is.
         */
        get: {
            parameters: {
                query?: {
                    /** @description The version (`X-Clarion-Widget-Version`): with the current one the answer is cacheable for good. */
                    v?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The module */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/javascript": string;
                    };
                };
                /** @description Not modified (If-None-Match) */
                304: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
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
    "/demo/inbox": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A demo page embedding `<clarion-inbox>`; the credentials go in its fragment (`#token=cin_...`, or `#tenant-id=&subscriber-id=&subscriber-hash=`) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The page */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
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
    "/v1/topics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the tenant's topics, newest first */
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
                            items: components["schemas"]["Topic"][];
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
    "/v1/topics/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A topic, with its number of subscribers */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The topic key (1-100 letters, digits and . _ -); events name it as `topic:<key>`. */
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
                        "application/json": components["schemas"]["Topic"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        /**
         * Create or update a topic
         * @description Events and workflows address its members as the recipient `topic:<key>`; an event to a large topic is fanned out in pages by the worker (`GET /v1/events/{id}` shows how far: `topicFanOuts`).
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The topic key (1-100 letters, digits and . _ -); events name it as `topic:<key>`. */
                    key: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string | null;
                        description?: string | null;
                    };
                };
            };
            responses: {
                /** @description Updated */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Topic"];
                    };
                };
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Topic"];
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
        /**
         * Delete a topic and its memberships
         * @description A fan-out to it under way finds no more members and ends.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The topic key (1-100 letters, digits and . _ -); events name it as `topic:<key>`. */
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
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/topics/{key}/subscribers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The topic's subscribers, newest members first */
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
                    /** @description The topic key (1-100 letters, digits and . _ -); events name it as `topic:<key>`. */
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
                        "application/json": {
                            items: components["schemas"]["TopicMember"][];
                            nextCursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        /**
         * Add subscribers to the topic (up to 10000 ids a call)
         * @description Ids no subscriber has are created bare, as an event naming them would; erased subscribers are not added (listed under `erased`). Adding a member twice changes nothing. A list with an invalid id changes nothing (422 naming each).
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The topic key (1-100 letters, digits and . _ -); events name it as `topic:<key>`. */
                    key: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["TopicMembersInput"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TopicAddResult"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                413: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        post?: never;
        /**
         * Remove subscribers from the topic (up to 10000 ids a call)
         * @description The subscribers stay; only their membership goes. A fan-out under way skips them if it has not reached them yet.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The topic key (1-100 letters, digits and . _ -); events name it as `topic:<key>`. */
                    key: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["TopicMembersInput"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TopicRemoveResult"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                413: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/analytics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Delivery, engagement and cost figures per bucket and group, from rollups
         * @description Counted by when each delivery (notification-level figures: notification) was created, in UTC minutes, hours or days; a later open or receipt counts for the bucket its message went out in. `from` is rounded down and `to` up to whole buckets (default: the last 60 minutes, 48 hours or 30 days). Answered from rollup tables kept as deliveries change, plus the changes of the last minute not yet folded into them: current to the last committed change. Notification-level figures (`notifications`, `suppressed`) belong to no channel, provider, variant or locale, and `deliveries` (created) to no provider, variant or locale: grouped by those, they appear in the group where they are null (compare `sent`). Latency percentiles come from histograms with buckets 19 % apart (within that of the exact figure). Empty buckets are left out; `totals` sums each group over the range. `format=csv` (or `Accept: text/csv`) answers the items as CSV.
         */
        get: {
            parameters: {
                query?: {
                    /** @description Start (RFC 3339 or a date), rounded down to the interval. */
                    from?: string;
                    /** @description End (exclusive), rounded up to the interval; default now. */
                    to?: string;
                    /** @description Bucket size (UTC). */
                    interval?: "minute" | "hour" | "day";
                    /** @description Comma-separated: workflow, channel, provider, variant, locale (provider also gives its adapter). */
                    groupBy?: string;
                    /** @description Only these workflows (keys, comma-separated). */
                    workflow?: string;
                    /** @description Only these channels. */
                    channel?: string;
                    /** @description Only these provider configurations (ids). */
                    provider?: string;
                    /** @description Only these adapters (smtp, twilio-sms, ...). */
                    adapter?: string;
                    /** @description Only these template variants. */
                    variant?: string;
                    /** @description Only messages rendered in these locales. */
                    locale?: string;
                    /** @description json (default) or csv. */
                    format?: "json" | "csv";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The figures */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AnalyticsAnswer"];
                        "text/csv": string;
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
    "/v1/track/open/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Open tracking pixel of an email (a 1x1 transparent GIF)
         * @description Records an `open` interaction for the delivery the token names (once a genuine open, the delivery and notification get `openedAt`) and announces it as `io.clarion.interaction.open`. Fetches that look like a machine preloading images (Apple Mail Privacy Protection: the bare user agent `Mozilla/5.0`, Apple's 17.0.0.0/8, no user agent) are recorded with `prefetch: true` and not counted as opens. The address is kept truncated to its /24 (IPv4) or /48 (IPv6). No API key: the token is signed.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The signed token Clarion put in the email */
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The pixel */
                200: {
                    headers: {
                        /** @description `no-store, private, max-age=0` */
                        "Cache-Control"?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "image/gif": string;
                    };
                };
                400: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        put?: never;
        /**
         * A push notification was opened (called by the app or service worker)
         * @description Push messages of workflows that track opens carry this URL in their data as `clarion_open_url`; the app (on opening the notification) or the web service worker (`notificationclick`) POSTs it, with no body. Records an `open` interaction (`source: api`, never a prefetch), sets the delivery's and notification's first `openedAt`, and announces `io.clarion.interaction.open`. No API key: the token is signed; a changed token is refused with 400. Any origin may call it (a simple request, no preflight).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The signed token Clarion put in the email */
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Recorded (or nothing left to record it on: the delivery deleted, its subscriber erased) */
                204: {
                    headers: {
                        /** @description `no-store, private, max-age=0` */
                        "Cache-Control"?: string;
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/track/click/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Click redirect of a tracked email link
         * @description Records a `click` interaction (and the first click as `clickedAt`), announces it as `io.clarion.interaction.click`, and redirects to the target the token signs. A token that was changed in any way is refused with 400 and redirects nowhere: the redirect cannot lead anywhere Clarion did not put the link itself. HEAD requests (link scanners) are recorded as `prefetch`.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The signed token Clarion put in the email */
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description To the signed target */
                302: {
                    headers: {
                        Location?: string;
                        /** @description `no-store, private, max-age=0` */
                        "Cache-Control"?: string;
                        [name: string]: unknown;
                    };
                    content?: never;
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
    "/v1/schedules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the tenant's schedules, newest first */
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
                            items: components["schemas"]["Schedule"][];
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
         * Create a recurring schedule
         * @description An RRULE (RFC 5545) or cron expression in a time zone, and the event each occurrence emits (checked now like a posted event: envelope, extensions, contract). Each occurrence emits its event once (id `<key>/<occurrence>`, source `/clarion/schedules/<key>` by default), even with several workers; schedules survive restarts. With `localTime`, each subscriber is notified at the occurrence's wall time in their own time zone. A cancellation of the event's `cancelkey` also ends the schedule.
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
                        /** @description Unique in the tenant */
                        key: string;
                        name?: string;
                        /** @description An RFC 5545 RRULE value, e.g. FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0 (no DTSTART: see start) */
                        rrule?: string;
                        /** @description Five-field cron: minute hour day-of-month month day-of-week */
                        cron?: string;
                        /** @description RRULE only: the first local date-time (e.g. 2040-01-08T09:00); default now */
                        start?: string;
                        /**
                         * @description IANA time zone the rule is read in
                         * @default UTC
                         */
                        timezone?: string;
                        /**
                         * @description Notify each subscriber at the occurrence's wall time in their own time zone (the schedule's for those without one)
                         * @default false
                         */
                        localTime?: boolean;
                        /** @description Recipients as an event names them: ids, topic:<key>, team:<id>, inline subscribers */
                        recipients?: unknown[];
                        event: {
                            /** @description The CloudEvent type (a workflow trigger) */
                            type: string;
                            /** @description Default /clarion/schedules/<key> */
                            source?: string;
                            subject?: string;
                            /** @description The event data; `recipients` (when given) is set as data.recipients */
                            data?: Record<string, never>;
                            /** @description CloudEvent extensions, e.g. cancelkey: a cancellation with that key also ends the schedule */
                            extensions?: Record<string, never>;
                        };
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
                        "application/json": components["schemas"]["Schedule"];
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
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/schedules/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A schedule, with its next occurrences */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The schedule key */
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
                        "application/json": components["schemas"]["Schedule"];
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
        /**
         * Delete a schedule
         * @description No occurrence fires any more; the events it emitted stay (cancel them with their cancelkey).
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The schedule key */
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
                default: components["responses"]["ServerError"];
            };
        };
        options?: never;
        head?: never;
        /**
         * Change, pause or resume a schedule
         * @description Only the fields given change (`rrule` replaces a cron expression and the reverse; `event` and `recipients` replace the old ones, checked again like a posted event). Exactly once still holds: an occurrence already handled is never emitted again; a changed rule or time zone goes on from its first occurrence after now and after the last one handled; unchanged timing keeps the occurrence the schedule waits for. `paused: true` stops every occurrence (status `paused`); `paused: false` resumes from the next occurrence after now: those that fell while paused are skipped, not emitted late. A cancelled schedule stays cancelled (409). Audited as `schedule.updated`, `schedule.paused`, `schedule.resumed`.
         */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The schedule key */
                    key: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string | null;
                        /** @description A new RRULE (replaces the cron expression, if any) */
                        rrule?: string;
                        /** @description A new cron expression (replaces the RRULE and its start, if any) */
                        cron?: string;
                        /** @description RRULE only: the first local date-time; null: from now */
                        start?: string | null;
                        /** @description IANA time zone the rule is read in */
                        timezone?: string;
                        localTime?: boolean;
                        /** @description Replaces the recipients; null: none (the event data names them) */
                        recipients?: unknown[] | null;
                        event?: {
                            /** @description The CloudEvent type (a workflow trigger) */
                            type: string;
                            /** @description Default /clarion/schedules/<key> */
                            source?: string;
                            subject?: string;
                            /** @description The event data; `recipients` (when given) is set as data.recipients */
                            data?: Record<string, never>;
                            /** @description CloudEvent extensions, e.g. cancelkey: a cancellation with that key also ends the schedule */
                            extensions?: Record<string, never>;
                        };
                        /** @description true: no occurrence emits anything until resumed; false: resumes from the next occurrence after now */
                        paused?: boolean;
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
                        "application/json": components["schemas"]["Schedule"];
                    };
                };
                400: components["responses"]["Problem"];
                401: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                409: components["responses"]["Problem"];
                413: components["responses"]["Problem"];
                415: components["responses"]["Problem"];
                422: components["responses"]["Problem"];
                default: components["responses"]["ServerError"];
            };
        };
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
                            status: "ok";
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
                    status?: "received" | "processing" | "processed" | "failed" | "cancelled";
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
         * @description Binary mode: attributes in `ce-*` headers, data as the body with its own Content-Type. Structured: `application/cloudevents+json`. Batched: `application/cloudevents-batch+json`, a JSON array; one invalid event refuses the whole batch. Each event's `data` is validated against the contract registered for its `type`. A resent event (same `source` and `id`) is answered under `duplicates` and not processed again. An event is stored exactly as accepted, or refused with 400 naming the field: attributes over their byte limits, more than 32 extensions, data nested more than 64 levels, the NUL character or an unpaired surrogate in any string or key, a number that would not read back as sent (1e400, 12345678901234567890). Binary-mode headers are printable ASCII, the rest percent-encoded as UTF-8 (CloudEvents HTTP binding). Extensions Clarion reads: `cancelkey` (what `POST /v1/cancellations` names), `deliverafter` (an RFC 3339 time at most 366 days ahead: fanned out then), `deliverlocal` with an optional `deliverzone` (a local date-time: each notification waits for it in its subscriber's time zone). `data.attachments` ([{filename, contentType, content (base64)}] or [{filename, contentType?, url}] fetched at ingest through the operator's outbound policy, within the tenant's `attachments` limits) are taken out of the data, stored once per event and sent with its emails; the stored data keeps {filename, contentType, size, sha256}. A single event is stored together with the others that arrive within a millisecond or two (group commit) and answered 202 once that commit returns. When more events wait to be stored than the gateway queues, the answer is 503 `CLARION_ERR_INGEST_BUSY` with `Retry-After` (seconds): nothing of the request was stored.
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
                            /** @description Its first 1000 notifications, oldest first (`topicFanOuts` counts those made for topics) */
                            notifications?: components["schemas"]["Notification"][];
                            topicFanOuts?: components["schemas"]["TopicFanOut"][];
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
        /**
         * Cancel everything still pending for the event
         * @description In one transaction: the event if it was not fanned out yet (a `deliverafter` still ahead), a topic fan-out under way, deferred and delayed notifications, their places in open digests, pending escalation and workflow steps, queued and retrying deliveries. What providers already have is reported under `alreadySent`, never recalled. Audited (`event.cancelled`); each notification suppressed is announced as `io.clarion.notification.suppressed` with `data.reason` `cancelled: <reason>`. Cancelling again changes nothing more.
         */
        delete: {
            parameters: {
                query?: {
                    /** @description Disambiguates a CloudEvent id used by several sources. */
                    source?: string;
                    /** @description Why (at most 500 characters): kept on the event, the decisions and the audit trail. */
                    reason?: string;
                };
                header?: never;
                path: {
                    /** @description Clarion's event id or the CloudEvent `id`. */
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
                        "application/json": components["schemas"]["CancellationResult"];
                    };
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
    "/v1/cancellations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel everything still pending for the events that carried a cancellation key
         * @description Events carry the key as the CloudEvent extension `cancelkey`. Same effects as `DELETE /v1/events/{id}` for each of them; a key no event carried cancels nothing (`events: 0`).
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
                        /** @description The `cancelkey` extension the events carried */
                        key: string;
                        /** @description Why: kept on the events, the decisions and the audit trail */
                        reason?: string;
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
                        "application/json": components["schemas"]["CancellationResult"];
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
                            items: components["schemas"]["Contract"][];
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
    "/v1/media/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A file of an event, for the SMS/MMS or WhatsApp provider that fetches it
         * @description SMS and WhatsApp messages of an event with attachments carry them as links to this route (Twilio `MediaUrl`, a WhatsApp Cloud API document or image `link`), under `CLARION_PUBLIC_URL`. No API key: the token names the tenant, event and file, is signed with a key derived from the secret key for this purpose alone, and expires 24 hours after the message was built. A changed token, or a file gone with its event, is a 404; an expired one a 410.
         */
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
                /** @description The file, with its type and name (Content-Disposition) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "*/*": string;
                    };
                };
                400: components["responses"]["Problem"];
                404: components["responses"]["Problem"];
                410: components["responses"]["Problem"];
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
                            items: components["schemas"]["Workflow"][];
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
    "/v1/workflows/{key}/variants/{variant}/win": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End the workflow's A/B test with this variant as the winner
         * @description The winner's own template (if it has one; otherwise the control, the published template, stays) is published as the channel's template in the tenant's default locale, and the workflow goes on without `abTest`, in one transaction. Deliveries sent during the test keep their variant (`GET /v1/analytics?groupBy=variant`). 404 when no test runs or it has no such variant.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Workflow key */
                    key: string;
                    /** @description The winning variant's key */
                    variant: string;
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
                            items: components["schemas"]["Adapter"][];
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
                            items: components["schemas"]["Provider"][];
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
                    "application/json": components["schemas"]["ProviderPatch"];
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
                            ok: true;
                            providerMessageId: string | null;
                            /**
                             * @description `delivered`: the provider confirmed delivery synchronously
                             * @enum {unknown}
                             */
                            status: "sent" | "delivered";
                            /** @description What the adapter reports of the send (segment count, encoding, accepted recipients...) */
                            details: Record<string, never> | null;
                            durationMs: number;
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
                            /** @description Email engagement tracking for the workflows that do not set their own `tracking` (critical workflows never inherit it). Off by default. */
                            tracking?: {
                                /** @description Add a tracking pixel to HTML emails */
                                opens?: boolean;
                                /** @description Lead links of HTML emails through the signed click redirect */
                                clicks?: boolean;
                            };
                            /**
                             * @description Which of a channel's providers is tried first for the workflows that do not set their own `routing`: `priority` (default: ascending priority) or `leastCost` (the cheapest declared price for the recipient's country first: the providers' `price.byPrefix`, else their base price)
                             * @enum {string}
                             */
                            routing?: "priority" | "leastCost";
                            /** @description Days events, notifications, deliveries and their attempts, interactions, inbox items, attachments and webhook messages are kept; older ones are deleted daily, never while still pending. Unset: the operator's default (CLARION_RETENTION_DAYS, 90 unless changed); never more than the operator's maximum (CLARION_RETENTION_MAX_DAYS, 365 unless changed): a larger value is refused. Analytics figures are kept longer. */
                            retentionDays?: number;
                            attachments?: {
                                /** @description Largest file, decoded (default 5 MiB, at most 10 MiB) */
                                maxBytes?: number;
                                /** @description Most files an event attaches (default 5; 0 refuses attachments) */
                                maxFiles?: number;
                                /** @description Content types accepted (default: application/pdf, text/plain, text/csv, image/png, image/jpeg, text/calendar) */
                                types?: string[];
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
            /** @description JSON Pointer into the event to subscriber ids not to notify (the actor); default /data/exclude */
            exclude?: string;
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
            /** @description Sends and waits in order (without steps, every channel at once) */
            steps?: {
                name?: string;
                /** @description Send on these channels (of the workflow's, as its plugins kept them) */
                channels?: ("email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app")[];
                delay?: string | {
                    /** @description JSON Pointer into the event to an RFC 3339 time (a local time is read in the subscriber's time zone) */
                    until: string;
                    /** @description Added to that time (e.g. -3d: three days before) */
                    offset?: string;
                };
                /** @description A JSON Logic expression over data, event, subscriber and notification: the step runs only when it is true */
                condition?: unknown;
            }[];
            /** @description Per channel, a JSON Logic expression that must be true for it to be sent on (e.g. {">": [{"var": "data.amount"}, 1000]}) */
            conditions?: {
                [key: string]: unknown;
            };
            /** @description In-app items of the same subscriber and key are updated in place rather than stacked */
            correlation?: {
                /** @description JSON Pointer into the event to what it is about (e.g. /data/quoteId) */
                key: string;
                /** @description A new notification cancels what earlier ones of the same subscriber and key still have pending on every channel (a deferred email, a delay step, a retry): superseded */
                replace?: boolean;
            };
            /** @default {} */
            plugins: Record<string, never>;
            required?: boolean;
            /** @description Labels of its in-app items, for the inbox filters and tabs */
            tags?: string[];
            /** @description Reading the in-app copy acknowledges the notification (its escalation stops); default: only an explicit acknowledgement does */
            inAppReadAcknowledges?: boolean;
            /** @default true */
            enabled: boolean;
            /** @description Email engagement tracking; unset: the tenant's settings.tracking (never inherited by critical workflows) */
            tracking?: {
                /** @description Add a 1x1 tracking pixel to the HTML part */
                opens?: boolean;
                /** @description Lead the links of the HTML part through the signed click redirect */
                clicks?: boolean;
            };
            /**
             * @description Which of a channel's providers is tried first: `priority` (ascending priority) or `leastCost` (the cheapest declared price for the recipient's country first, `price.byPrefix`); unset: the tenant's settings.routing, else priority
             * @enum {string}
             */
            routing?: "priority" | "leastCost";
            /** @description An A/B test of one channel's template */
            abTest?: {
                /** @enum {unknown} */
                channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                variants: {
                    /** @description Names the variant in the analytics */
                    key: string;
                    /** @description Share of the notifications (relative to the other weights) */
                    weight: number;
                    /** @description The variant's template parts (as in templates); absent: the channel's published template */
                    template?: Record<string, never>;
                }[];
            };
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
            /** @description JSON Pointer into the event to subscriber ids not to notify (the actor); default /data/exclude */
            exclude?: string;
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
            /** @description Sends and waits in order (without steps, every channel at once) */
            steps?: {
                name?: string;
                /** @description Send on these channels (of the workflow's, as its plugins kept them) */
                channels?: ("email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app")[];
                delay?: string | {
                    /** @description JSON Pointer into the event to an RFC 3339 time (a local time is read in the subscriber's time zone) */
                    until: string;
                    /** @description Added to that time (e.g. -3d: three days before) */
                    offset?: string;
                };
                /** @description A JSON Logic expression over data, event, subscriber and notification: the step runs only when it is true */
                condition?: unknown;
            }[];
            /** @description Per channel, a JSON Logic expression that must be true for it to be sent on (e.g. {">": [{"var": "data.amount"}, 1000]}) */
            conditions?: {
                [key: string]: unknown;
            };
            /** @description In-app items of the same subscriber and key are updated in place rather than stacked */
            correlation?: {
                /** @description JSON Pointer into the event to what it is about (e.g. /data/quoteId) */
                key: string;
                /** @description A new notification cancels what earlier ones of the same subscriber and key still have pending on every channel (a deferred email, a delay step, a retry): superseded */
                replace?: boolean;
            };
            /** @default {} */
            plugins: Record<string, never>;
            required?: boolean;
            /** @description Labels of its in-app items, for the inbox filters and tabs */
            tags?: string[];
            /** @description Reading the in-app copy acknowledges the notification (its escalation stops); default: only an explicit acknowledgement does */
            inAppReadAcknowledges?: boolean;
            /** @default true */
            enabled: boolean;
            /** @description Email engagement tracking; unset: the tenant's settings.tracking (never inherited by critical workflows) */
            tracking?: {
                /** @description Add a 1x1 tracking pixel to the HTML part */
                opens?: boolean;
                /** @description Lead the links of the HTML part through the signed click redirect */
                clicks?: boolean;
            };
            /**
             * @description Which of a channel's providers is tried first: `priority` (ascending priority) or `leastCost` (the cheapest declared price for the recipient's country first, `price.byPrefix`); unset: the tenant's settings.routing, else priority
             * @enum {string}
             */
            routing?: "priority" | "leastCost";
            /** @description An A/B test of one channel's template */
            abTest?: {
                /** @enum {unknown} */
                channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                variants: {
                    /** @description Names the variant in the analytics */
                    key: string;
                    /** @description Share of the notifications (relative to the other weights) */
                    weight: number;
                    /** @description The variant's template parts (as in templates); absent: the channel's published template */
                    template?: Record<string, never>;
                }[];
            };
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
            /** @description Teams the person belongs to (recipients `team:<id>`) */
            teams?: string[];
            /** @description Projects the person belongs to (recipients `project:<id>`) */
            projects?: string[];
            /** @description Anything templates may use as `subscriber.data` */
            data?: Record<string, never>;
        };
        SubscriberPut: {
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
            /** @description Teams the person belongs to (recipients `team:<id>`) */
            teams?: string[];
            /** @description Projects the person belongs to (recipients `project:<id>`) */
            projects?: string[];
            /** @description Anything templates may use as `subscriber.data` */
            data?: Record<string, never>;
            /** @description Create the subscriber again although the id was erased (not stored) */
            reactivate?: boolean;
        };
        Subscriber: {
            /** Format: uuid */
            id: string;
            /** @description The tenant's own id for the person */
            subscriberId: string;
            name: string | null;
            email: string | null;
            phone: string | null;
            locale: string | null;
            timezone: string | null;
            devices: ({
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
            chat: Record<string, never>;
            teams: string[];
            projects: string[];
            data: Record<string, never>;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
        };
        SubscriberBulk: {
            subscribers: {
                /** @description The tenant's own id for the person */
                id: string;
                /** @description Ignored: `id` names the person */
                subscriberId?: string;
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
                /** @description Teams the person belongs to (recipients `team:<id>`) */
                teams?: string[];
                /** @description Projects the person belongs to (recipients `project:<id>`) */
                projects?: string[];
                /** @description Anything templates may use as `subscriber.data` */
                data?: Record<string, never>;
            }[];
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
                    /** @description JSON Pointer to the failing field (`/data/amount`, `/2/type`), or `header:<name>` */
                    pointer: string;
                    message: string;
                }[];
            }[];
        };
        Adapter: {
            name: string;
            /** @enum {unknown} */
            channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            channels: ("email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app")[];
            implicit: boolean;
            description?: string;
            packageName: string;
            configSchema: Record<string, never>;
        };
        ProviderInput: {
            /** @enum {unknown} */
            channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            /** @description An installed adapter (GET /v1/adapters) */
            adapter: string;
            name?: string;
            /** @description Providers of a channel are tried in ascending priority (default 0) */
            priority?: number;
            /** @description Default true */
            enabled?: boolean;
            /** @description Throughput cap: at most this many messages per second through this provider, across all workers; null: none */
            maxPerSecond?: number | null;
            /** @description What a message through this provider costs (summed as cost in the analytics): one of perMessage, perSegment or (voice) perMinute; a price the provider reports itself (Twilio) wins; null: not declared */
            price?: {
                /** @description ISO 4217, in capitals (EUR, USD, ...) */
                currency: string;
                perMessage?: number;
                /** @description SMS: per segment of the text, GSM-7 or UCS-2 */
                perSegment?: number;
                /** @description Voice only: per started minute of an answered call (its duration rounded up to whole minutes), charged once the provider reports the duration (Twilio's status callback); unanswered calls cost nothing */
                perMinute?: number;
                /** @description Prices by country: the recipient's number (E.164, its digits) starting with a key (a country calling code, or a longer prefix: `1`, `44`, `1787`) costs this per message, per segment or per minute (as the base is declared) instead; the longest key wins. Least-cost routing compares these. */
                byPrefix?: {
                    [key: string]: number;
                };
            } | null;
            /** @description Validated against the adapter's configSchema. A top-level value may be a reference, env:NAME or file:/path, where the operator allows it (CLARION_SECRET_REFS) */
            config: Record<string, never>;
        };
        ProviderPatch: {
            name?: string | null;
            /** @description Providers of a channel are tried in ascending priority (default 0) */
            priority?: number;
            enabled?: boolean;
            /** @description Throughput cap: at most this many messages per second through this provider, across all workers; null: none */
            maxPerSecond?: number | null;
            /** @description What a message through this provider costs (summed as cost in the analytics): one of perMessage, perSegment or (voice) perMinute; a price the provider reports itself (Twilio) wins; null: not declared */
            price?: {
                /** @description ISO 4217, in capitals (EUR, USD, ...) */
                currency: string;
                perMessage?: number;
                /** @description SMS: per segment of the text, GSM-7 or UCS-2 */
                perSegment?: number;
                /** @description Voice only: per started minute of an answered call (its duration rounded up to whole minutes), charged once the provider reports the duration (Twilio's status callback); unanswered calls cost nothing */
                perMinute?: number;
                /** @description Prices by country: the recipient's number (E.164, its digits) starting with a key (a country calling code, or a longer prefix: `1`, `44`, `1787`) costs this per message, per segment or per minute (as the base is declared) instead; the longest key wins. Least-cost routing compares these. */
                byPrefix?: {
                    [key: string]: number;
                };
            } | null;
            /** @description Merged into the stored config: secrets left out or sent masked keep their value; null removes a key */
            config?: Record<string, never>;
        };
        ProviderPrice: {
            /** @description ISO 4217, in capitals (EUR, USD, ...) */
            currency: string;
            perMessage?: number;
            /** @description SMS: per segment of the text, GSM-7 or UCS-2 */
            perSegment?: number;
            /** @description Voice only: per started minute of an answered call (its duration rounded up to whole minutes), charged once the provider reports the duration (Twilio's status callback); unanswered calls cost nothing */
            perMinute?: number;
            /** @description Prices by country: the recipient's number (E.164, its digits) starting with a key (a country calling code, or a longer prefix: `1`, `44`, `1787`) costs this per message, per segment or per minute (as the base is declared) instead; the longest key wins. Least-cost routing compares these. */
            byPrefix?: {
                [key: string]: number;
            };
        };
        Provider: {
            /** Format: uuid */
            id: string;
            /** @enum {unknown} */
            channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            adapter: string;
            name: string | null;
            priority: number;
            enabled: boolean;
            /** @description Throughput cap in messages per second; null: none */
            maxPerSecond: number | null;
            /** @description What a message through this provider costs (summed as cost in the analytics): one of perMessage, perSegment or (voice) perMinute; a price the provider reports itself (Twilio) wins; null: not declared */
            price: {
                /** @description ISO 4217, in capitals (EUR, USD, ...) */
                currency: string;
                perMessage?: number;
                /** @description SMS: per segment of the text, GSM-7 or UCS-2 */
                perSegment?: number;
                /** @description Voice only: per started minute of an answered call (its duration rounded up to whole minutes), charged once the provider reports the duration (Twilio's status callback); unanswered calls cost nothing */
                perMinute?: number;
                /** @description Prices by country: the recipient's number (E.164, its digits) starting with a key (a country calling code, or a longer prefix: `1`, `44`, `1787`) costs this per message, per segment or per minute (as the base is declared) instead; the longest key wins. Least-cost routing compares these. */
                byPrefix?: {
                    [key: string]: number;
                };
            } | null;
            /** @description Secrets masked as ******** */
            config: Record<string, never>;
            circuit: {
                /** @enum {unknown} */
                state: "closed" | "open" | "half_open";
                /** Format: date-time */
                changedAt: string | null;
            };
            lastError: string | null;
            /**
             * Format: date-time
             * @description When lastError happened (any provider error: transient, permanent or configuration)
             */
            lastErrorAt: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
        };
        Notification: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            eventId: string;
            /** @description null once the subscriber was erased */
            subscriberId: string | null;
            workflow: string;
            /** @enum {unknown} */
            priority: "low" | "normal" | "high" | "critical";
            /**
             * @description Rolled up from its deliveries: partially_delivered when some channels reached the recipient and the others failed for good
             * @enum {unknown}
             */
            status: "pending" | "scheduled" | "batched" | "suppressed" | "sent" | "delivered" | "partially_delivered" | "failed" | "seen" | "read" | "acknowledged" | "archived";
            channels: ("email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app")[];
            /** @description What each pipeline plugin decided, in order */
            decisions: {
                plugin: string;
                /** @enum {unknown} */
                decision: "continue" | "suppress" | "defer" | "batch" | "schedule";
                reason?: string;
                at: string;
            }[];
            /** Format: date-time */
            scheduledFor: string | null;
            /** Format: date-time */
            seenAt: string | null;
            /** Format: date-time */
            readAt: string | null;
            /** Format: date-time */
            acknowledgedAt: string | null;
            /**
             * Format: date-time
             * @description The first genuine open on any channel (tracking pixel, provider open event, read receipt; a click implies it); machine prefetches do not count
             */
            openedAt: string | null;
            /**
             * Format: date-time
             * @description The first genuine click on any channel
             */
            clickedAt: string | null;
            /**
             * Format: uuid
             * @description The digest this notification was batched into
             */
            digestId: string | null;
            /** @description Escalation steps and their state (`steps[].status`: pending, fired, cancelled), or the parent a step was made for */
            escalation: Record<string, never> | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
        };
        NotificationDetail: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            eventId: string;
            /** @description null once the subscriber was erased */
            subscriberId: string | null;
            workflow: string;
            /** @enum {unknown} */
            priority: "low" | "normal" | "high" | "critical";
            /**
             * @description Rolled up from its deliveries: partially_delivered when some channels reached the recipient and the others failed for good
             * @enum {unknown}
             */
            status: "pending" | "scheduled" | "batched" | "suppressed" | "sent" | "delivered" | "partially_delivered" | "failed" | "seen" | "read" | "acknowledged" | "archived";
            channels: ("email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app")[];
            /** @description What each pipeline plugin decided, in order */
            decisions: {
                plugin: string;
                /** @enum {unknown} */
                decision: "continue" | "suppress" | "defer" | "batch" | "schedule";
                reason?: string;
                at: string;
            }[];
            /** Format: date-time */
            scheduledFor: string | null;
            /** Format: date-time */
            seenAt: string | null;
            /** Format: date-time */
            readAt: string | null;
            /** Format: date-time */
            acknowledgedAt: string | null;
            /**
             * Format: date-time
             * @description The first genuine open on any channel (tracking pixel, provider open event, read receipt; a click implies it); machine prefetches do not count
             */
            openedAt: string | null;
            /**
             * Format: date-time
             * @description The first genuine click on any channel
             */
            clickedAt: string | null;
            /**
             * Format: uuid
             * @description The digest this notification was batched into
             */
            digestId: string | null;
            /** @description Escalation steps and their state (`steps[].status`: pending, fired, cancelled), or the parent a step was made for */
            escalation: Record<string, never> | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            /** @description What was rendered, per channel */
            content: Record<string, never> | null;
            deliveries: {
                /** Format: uuid */
                id: string;
                /** Format: uuid */
                notificationId: string;
                /** @enum {unknown} */
                channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
                /** @enum {unknown} */
                status: "pending" | "sending" | "retrying" | "sent" | "delivered" | "undelivered" | "bounced" | "read" | "failed" | "dead" | "cancelled";
                providerId: string | null;
                adapter: string | null;
                attemptCount: number;
                providerMessageId: string | null;
                error: {
                    /** @enum {unknown} */
                    class: "transient" | "permanent" | "config";
                    code: string | null;
                    message: string | null;
                } | null;
                /** Format: date-time */
                nextAttemptAt: string | null;
                /**
                 * Format: date-time
                 * @description When the current run of transient failures began
                 */
                failingSince: string | null;
                /** @description The delivery this one is the fallback of */
                fallbackOf: string | null;
                /** Format: date-time */
                sentAt: string | null;
                /** Format: date-time */
                deliveredAt: string | null;
                /**
                 * Format: date-time
                 * @description The first genuine open of this delivery
                 */
                openedAt: string | null;
                /**
                 * Format: date-time
                 * @description The first genuine click of this delivery
                 */
                clickedAt: string | null;
                /** @description What the message cost: the provider's own figure (Twilio's price) or the provider configuration's declared price; null when neither says */
                cost: {
                    amount: number;
                    currency: string;
                } | null;
                /** Format: date-time */
                createdAt: string;
                /** Format: date-time */
                updatedAt: string;
                attempts: {
                    attempt: number;
                    providerId: string | null;
                    adapter: string | null;
                    /** @enum {unknown} */
                    outcome: "success" | "transient" | "permanent" | "config" | "circuit_open";
                    errorCode: string | null;
                    /**
                     * @description Permanent failures: about the recipient (the fallback channel took over) or the provider (the next provider was tried)
                     * @enum {unknown}
                     */
                    errorScope: "recipient" | "provider" | null;
                    errorMessage: string | null;
                    /** @description The probe of a half-open circuit: its failure spent none of the delivery's attempts */
                    probe: boolean;
                    providerMessageId: string | null;
                    response: string | null;
                    /** Format: date-time */
                    startedAt: string;
                    durationMs: number | null;
                }[];
            }[];
            /** @description Opens, clicks, dismissals, replies and actions, oldest first (at most 1000) */
            interactions: {
                /** Format: uuid */
                id: string;
                /** Format: uuid */
                notificationId: string;
                deliveryId: string | null;
                /** @enum {unknown} */
                kind: "open" | "click" | "dismiss" | "reply" | "action";
                /** @enum {unknown} */
                channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app" | null;
                /**
                 * @description How Clarion learnt of it: its tracking pixel or click redirect, a provider's event, the API, the inbox
                 * @enum {unknown}
                 */
                source: "pixel" | "redirect" | "provider" | "api" | "inbox";
                adapter: string | null;
                /** @description A click's target */
                link: string | null;
                /** @description An action's name (acknowledge, a button's action) */
                action: string | null;
                userAgent: string | null;
                /** @description The network it came from: the address truncated to its /24 (IPv4) or /48 (IPv6) */
                ip: string | null;
                /** @description A machine fetched it (Apple Mail Privacy Protection, a link scanner, a provider's machine-open flag): not counted as engagement */
                prefetch: boolean;
                /** Format: date-time */
                occurredAt: string;
            }[];
        };
        Delivery: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            notificationId: string;
            /** @enum {unknown} */
            channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            /** @enum {unknown} */
            status: "pending" | "sending" | "retrying" | "sent" | "delivered" | "undelivered" | "bounced" | "read" | "failed" | "dead" | "cancelled";
            providerId: string | null;
            adapter: string | null;
            attemptCount: number;
            providerMessageId: string | null;
            error: {
                /** @enum {unknown} */
                class: "transient" | "permanent" | "config";
                code: string | null;
                message: string | null;
            } | null;
            /** Format: date-time */
            nextAttemptAt: string | null;
            /**
             * Format: date-time
             * @description When the current run of transient failures began
             */
            failingSince: string | null;
            /** @description The delivery this one is the fallback of */
            fallbackOf: string | null;
            /** Format: date-time */
            sentAt: string | null;
            /** Format: date-time */
            deliveredAt: string | null;
            /**
             * Format: date-time
             * @description The first genuine open of this delivery
             */
            openedAt: string | null;
            /**
             * Format: date-time
             * @description The first genuine click of this delivery
             */
            clickedAt: string | null;
            /** @description What the message cost: the provider's own figure (Twilio's price) or the provider configuration's declared price; null when neither says */
            cost: {
                amount: number;
                currency: string;
            } | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
        };
        Attempt: {
            attempt: number;
            providerId: string | null;
            adapter: string | null;
            /** @enum {unknown} */
            outcome: "success" | "transient" | "permanent" | "config" | "circuit_open";
            errorCode: string | null;
            /**
             * @description Permanent failures: about the recipient (the fallback channel took over) or the provider (the next provider was tried)
             * @enum {unknown}
             */
            errorScope: "recipient" | "provider" | null;
            errorMessage: string | null;
            /** @description The probe of a half-open circuit: its failure spent none of the delivery's attempts */
            probe: boolean;
            providerMessageId: string | null;
            response: string | null;
            /** Format: date-time */
            startedAt: string;
            durationMs: number | null;
        };
        Interaction: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            notificationId: string;
            deliveryId: string | null;
            /** @enum {unknown} */
            kind: "open" | "click" | "dismiss" | "reply" | "action";
            /** @enum {unknown} */
            channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app" | null;
            /**
             * @description How Clarion learnt of it: its tracking pixel or click redirect, a provider's event, the API, the inbox
             * @enum {unknown}
             */
            source: "pixel" | "redirect" | "provider" | "api" | "inbox";
            adapter: string | null;
            /** @description A click's target */
            link: string | null;
            /** @description An action's name (acknowledge, a button's action) */
            action: string | null;
            userAgent: string | null;
            /** @description The network it came from: the address truncated to its /24 (IPv4) or /48 (IPv6) */
            ip: string | null;
            /** @description A machine fetched it (Apple Mail Privacy Protection, a link scanner, a provider's machine-open flag): not counted as engagement */
            prefetch: boolean;
            /** Format: date-time */
            occurredAt: string;
        };
        DeliveryDetail: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            notificationId: string;
            /** @enum {unknown} */
            channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            /** @enum {unknown} */
            status: "pending" | "sending" | "retrying" | "sent" | "delivered" | "undelivered" | "bounced" | "read" | "failed" | "dead" | "cancelled";
            providerId: string | null;
            adapter: string | null;
            attemptCount: number;
            providerMessageId: string | null;
            error: {
                /** @enum {unknown} */
                class: "transient" | "permanent" | "config";
                code: string | null;
                message: string | null;
            } | null;
            /** Format: date-time */
            nextAttemptAt: string | null;
            /**
             * Format: date-time
             * @description When the current run of transient failures began
             */
            failingSince: string | null;
            /** @description The delivery this one is the fallback of */
            fallbackOf: string | null;
            /** Format: date-time */
            sentAt: string | null;
            /** Format: date-time */
            deliveredAt: string | null;
            /**
             * Format: date-time
             * @description The first genuine open of this delivery
             */
            openedAt: string | null;
            /**
             * Format: date-time
             * @description The first genuine click of this delivery
             */
            clickedAt: string | null;
            /** @description What the message cost: the provider's own figure (Twilio's price) or the provider configuration's declared price; null when neither says */
            cost: {
                amount: number;
                currency: string;
            } | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            attempts: {
                attempt: number;
                providerId: string | null;
                adapter: string | null;
                /** @enum {unknown} */
                outcome: "success" | "transient" | "permanent" | "config" | "circuit_open";
                errorCode: string | null;
                /**
                 * @description Permanent failures: about the recipient (the fallback channel took over) or the provider (the next provider was tried)
                 * @enum {unknown}
                 */
                errorScope: "recipient" | "provider" | null;
                errorMessage: string | null;
                /** @description The probe of a half-open circuit: its failure spent none of the delivery's attempts */
                probe: boolean;
                providerMessageId: string | null;
                response: string | null;
                /** Format: date-time */
                startedAt: string;
                durationMs: number | null;
            }[];
        };
        OutboxMessage: {
            id: string;
            adapter: string;
            /** @enum {unknown} */
            channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            notificationId: string | null;
            deliveryId: string | null;
            to: Record<string, never>;
            content: Record<string, never>;
            headers: Record<string, never> | null;
            /** Format: date-time */
            createdAt: string;
        };
        AuditEntry: {
            id: number;
            actor: string;
            action: string;
            targetType: string;
            targetId: string | null;
            summary: Record<string, never>;
            /** Format: date-time */
            createdAt: string;
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
            tenantId: string;
            /** @description http:// or https:// URL, without credentials. Must reach a public address unless the server allows private targets. */
            url: string;
            description: string | null;
            /** @description Event types (`io.clarion.notification.delivered`), prefix wildcards (`io.clarion.notification.*`) or `*`. Null or absent: every type. */
            eventTypes: string[] | null;
            /** @description Default true. Enabling a disabled endpoint clears its failure streak. */
            enabled: boolean;
            /** @description Messages per second (bursts of one second allowed); null: unlimited. */
            rateLimit: number | null;
            /** @description Why it is disabled: by whom, "the endpoint answered 410 Gone", or failing for 5 days. */
            disabledReason: string | null;
            /** Format: date-time */
            disabledAt: string | null;
            /**
             * Format: date-time
             * @description Since when every attempt has failed; after 5 days the endpoint is disabled.
             */
            failingSince: string | null;
            /**
             * Format: date-time
             * @description While the rotated-out secret still signs, until when.
             */
            previousSecretExpiresAt: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
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
            nextAttemptAt: string | null;
            lastError: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            /** @description The CloudEvent (structured JSON) as sent; in single reads. */
            payload?: Record<string, never>;
        };
        WebhookAttempt: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            messageId: string;
            msgId: string;
            eventType: string;
            /** Format: uuid */
            endpointId: string;
            /** @description Attempt number of the message over its whole life. */
            attempt: number;
            /** @enum {unknown} */
            trigger: "event" | "retry" | "replay" | "recover";
            statusCode: number | null;
            /** @enum {unknown} */
            outcome: "success" | "http_error" | "redirect" | "timeout" | "network_error" | "blocked";
            /** @description What went wrong, e.g. `HTTP 500`, `no response within 15 s`, or the SSRF guard refusal. */
            error: string | null;
            /** @description The first 20 KB of the response body. */
            responseBody: string | null;
            responseBodyTruncated: boolean;
            durationMs: number;
            /** Format: date-time */
            startedAt: string;
            /**
             * Format: date-time
             * @description When the next attempt is due, if this one is retried.
             */
            nextRetryAt: string | null;
        };
        WebhookEndpointStats: {
            /** Format: date-time */
            since: string;
            messages: {
                pending: number;
                retrying: number;
                delivered: number;
                failed: number;
            };
            attempts: {
                total: number;
                succeeded: number;
                failed: number;
                byOutcome: {
                    [key: string]: number;
                };
            };
            durationMs: {
                p50: number | null;
                p95: number | null;
                max: number | null;
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
            workflow: string;
            /** @enum {unknown} */
            channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            locale: string;
            /**
             * @description What renders now
             * @enum {unknown}
             */
            source: "tenant" | "bundled" | "none";
            /** @description A bundled default exists */
            bundled: boolean;
            publishedVersion: number | null;
            latestVersion: number | null;
            /** Format: date-time */
            updatedAt: string | null;
        };
        TemplateVersionSummary: {
            workflow: string;
            /** @enum {unknown} */
            channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            locale: string;
            version: number;
            /** @enum {unknown} */
            status: "draft" | "published" | "archived";
            /** Format: date-time */
            createdAt: string;
            createdBy: string | null;
            /** Format: date-time */
            publishedAt: string | null;
            /** @description Set on versions made by a rollback */
            basedOnVersion: number | null;
        };
        TemplateVersion: {
            workflow: string;
            /** @enum {unknown} */
            channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            locale: string;
            version: number;
            /** @enum {unknown} */
            status: "draft" | "published" | "archived";
            /** Format: date-time */
            createdAt: string;
            createdBy: string | null;
            /** Format: date-time */
            publishedAt: string | null;
            /** @description Set on versions made by a rollback */
            basedOnVersion: number | null;
            parts: components["schemas"]["TemplateParts"];
        };
        Template: {
            workflow: string;
            /** @enum {unknown} */
            channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            locale: string;
            version: number | null;
            /** @enum {unknown} */
            status: "draft" | "published" | "archived" | null;
            /**
             * Format: date-time
             * @description Null for a bundled template
             */
            createdAt: string | null;
            createdBy: string | null;
            /** Format: date-time */
            publishedAt: string | null;
            /** @description Set on versions made by a rollback */
            basedOnVersion: number | null;
            /** @enum {unknown} */
            source: "tenant" | "bundled";
            parts: components["schemas"]["TemplateParts"];
            /** @description Bundled templates: the file the parts come from */
            file?: string;
            publishedVersion: number | null;
            latestVersion: number | null;
        };
        TemplatePreview: {
            workflow: string;
            /** @enum {unknown} */
            channel: "email" | "sms" | "push" | "whatsapp" | "voice" | "chat" | "webhook" | "in_app";
            locale: string;
            /** @enum {unknown} */
            source: "tenant" | "bundled" | "inline";
            version: number | null;
            /** @description What the adapter would receive (RenderedContent): subject/html/text, text, title/body/url/data, blocks, actions, json */
            parts: Record<string, never>;
            warnings: components["schemas"]["TemplateWarning"][];
            sms?: {
                /** @enum {unknown} */
                encoding: "GSM-7" | "UCS-2";
                /** @description Segments the message is sent as (each billed as one SMS) */
                segments: number;
                /** @description Septets (GSM-7) or UTF-16 code units (UCS-2) */
                units: number;
                /** @description Characters as a person counts them */
                characters: number;
                /** @description Units per segment for this message: 160/153 (GSM-7) or 70/67 (UCS-2) */
                perSegment: number;
                /** @description For UCS-2 messages: the characters that are not in the GSM-7 alphabet */
                nonGsmCharacters?: string[];
            };
            push?: {
                title: {
                    length: number;
                    displayLimit: number;
                    truncated: boolean;
                };
                body: {
                    length: number;
                    displayLimit: number;
                    truncated: boolean;
                };
                payloads: {
                    /** @enum {unknown} */
                    platform: "fcm" | "apns" | "webpush";
                    /** @description Bytes of the payload Clarion would send to this platform */
                    bytes: number;
                    limit: number;
                    fits: boolean;
                }[];
                fits: boolean;
            };
        };
        TemplateLayout: {
            name: string;
            /** @enum {unknown} */
            source: "tenant" | "bundled";
            /** @description Nunjucks source */
            content: string;
            overridesBundled: boolean;
            /** Format: date-time */
            updatedAt: string | null;
            updatedBy: string | null;
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
        InboxItem: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            notificationId: string | null;
            workflow: string | null;
            category: string | null;
            tags: string[];
            title: string | null;
            body: string | null;
            /** @description Where a click leads */
            url: string | null;
            actions: {
                /** @description What `POST /v1/inbox/{itemId}/actions/{key}` takes: its `action`, else its position */
                key: string;
                label: string;
                url: string | null;
                /** @enum {unknown} */
                style: "primary" | "secondary";
            }[];
            data: Record<string, never>;
            /** Format: date-time */
            createdAt: string;
            /**
             * Format: date-time
             * @description When it arrived, or came back from a snooze: the order of the list
             */
            surfacedAt: string;
            /** Format: date-time */
            seenAt: string | null;
            /** Format: date-time */
            readAt: string | null;
            /** Format: date-time */
            archivedAt: string | null;
            /** Format: date-time */
            snoozedUntil: string | null;
            /** @description The action button taken, and when */
            action: {
                key: string;
                /** Format: date-time */
                at: string;
            } | null;
        };
        InboxCounts: {
            /** @description Items in the inbox: neither archived nor snoozed */
            total: number;
            unread: number;
            unseen: number;
            categories: {
                category: string | null;
                total: number;
                unread: number;
                unseen: number;
            }[];
        };
        InboxSecret: {
            /** @description Keep it on your servers: anyone holding it can open any subscriber's inbox */
            secret: string;
            /** Format: date-time */
            rotatedAt: string;
        };
        InboxToken: {
            /** @description `cin_...`: send as Authorization: Bearer, or as the `token` attribute of `<clarion-inbox>` */
            token: string;
            /** Format: date-time */
            expiresAt: string;
            scopes: ("inbox:read" | "inbox:write" | "preferences")[];
        };
        Topic: {
            key: string;
            name: string | null;
            description: string | null;
            subscriberCount: number;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
        };
        TopicMember: {
            subscriberId: string;
            /** Format: date-time */
            addedAt: string;
        };
        TopicMembersInput: {
            /** @description Subscriber ids, at most 10000 */
            subscribers: string[];
        };
        TopicAddResult: {
            /** @description Subscribers who were not members before */
            added: number;
            alreadyMembers: number;
            /** @description Ids no subscriber had: created bare, like an event naming them */
            created: number;
            /** @description Ids of erased subscribers: not added */
            erased: string[];
        };
        TopicRemoveResult: {
            removed: number;
            notMembers: number;
        };
        AnalyticsFigures: {
            /** @description Notifications created */
            notifications: number;
            /** @description Deliveries created (one per channel tried, fallbacks included) */
            deliveries: number;
            /** @description Accepted by a provider */
            sent: number;
            /** @description Confirmed delivered (or read) by a provider receipt */
            delivered: number;
            /** @description Failed for good, dead letters and undelivered receipts included */
            failed: number;
            /** @description Bounced (a provider receipt) */
            bounced: number;
            /** @description Notifications the pipeline or an erasure suppressed */
            suppressed: number;
            /** @description duplicate, opted_out, rate_limited, subscriber_erased, ... */
            suppressedByReason: {
                [key: string]: number;
            };
            /** @description Deliveries opened (first genuine open; machine prefetches excluded) */
            opened: number;
            /** @description Deliveries clicked (first genuine click) */
            clicked: number;
            /** @description Null where the denominator is 0 */
            rates: {
                /** @description delivered / sent */
                delivered: number | null;
                /** @description opened / sent */
                opened: number | null;
                /** @description clicked / sent */
                clicked: number | null;
                /** @description clicked / opened */
                clickToOpen: number | null;
                /** @description bounced / sent */
                bounced: number | null;
                /** @description failed / deliveries that reached an outcome (sent, or failed before any provider took them) */
                failed: number | null;
            };
            latencyMs: {
                /** @description From the event received to the provider accepting the message */
                sent: {
                    p50: number | null;
                    p95: number | null;
                };
                /** @description From the event received to the delivery receipt, where receipts exist */
                delivered: {
                    p50: number | null;
                    p95: number | null;
                };
            };
            /** @description Attempts per delivery that reached an outcome (sent or failed) */
            attemptsPerDelivery: number | null;
            /** @description Cost by currency (ISO 4217) */
            cost: {
                [key: string]: number;
            };
        };
        AnalyticsAnswer: {
            /** Format: date-time */
            from: string;
            /** Format: date-time */
            to: string;
            /** @enum {unknown} */
            interval: "minute" | "hour" | "day";
            groupBy: ("workflow" | "channel" | "provider" | "variant" | "locale")[];
            filters: {
                workflow?: string[];
                channel?: string[];
                provider?: string[];
                adapter?: string[];
                variant?: string[];
                locale?: string[];
            };
            /** @description Per bucket (at most 5000 buckets) and group, oldest first */
            items: ({
                /** Format: date-time */
                bucket: string;
                /** @description The values of the groupBy dimensions (null: none, e.g. notification-level figures grouped by channel) */
                group: {
                    workflow?: string | null;
                    channel?: string | null;
                    provider?: string | null;
                    variant?: string | null;
                    locale?: string | null;
                    adapter?: string | null;
                };
            } & components["schemas"]["AnalyticsFigures"])[];
            /** @description Per group, over the whole range */
            totals: ({
                /** @description The values of the groupBy dimensions (null: none, e.g. notification-level figures grouped by channel) */
                group: {
                    workflow?: string | null;
                    channel?: string | null;
                    provider?: string | null;
                    variant?: string | null;
                    locale?: string | null;
                    adapter?: string | null;
                };
            } & components["schemas"]["AnalyticsFigures"])[];
        };
        Schedule: {
            key: string;
            name: string | null;
            rrule: string | null;
            cron: string | null;
            start: string | null;
            timezone: string;
            localTime: boolean;
            event: Record<string, never>;
            /**
             * @description `paused`: by PATCH, until resumed; `ended`: the rule has no more occurrences; `cancelled`: by a cancellation of its cancelkey
             * @enum {unknown}
             */
            status: "active" | "paused" | "ended" | "cancelled";
            /**
             * Format: date-time
             * @description The next occurrence
             */
            nextAt: string | null;
            /**
             * Format: date-time
             * @description When its event is emitted (earlier than nextAt with localTime)
             */
            fireAt: string | null;
            /** @description The next 5 occurrences */
            upcoming: string[];
            firedCount: number;
            /** Format: date-time */
            lastFiredAt: string | null;
            /**
             * Format: date-time
             * @description The last occurrence handled (emitted, or refused: see lastError); a changed rule goes on after it
             */
            lastOccurrence: string | null;
            /** Format: date-time */
            pausedAt: string | null;
            /**
             * Format: uuid
             * @description The event the last occurrence emitted (GET /v1/events/{id})
             */
            lastEventId: string | null;
            /** @description Why the last occurrence emitted nothing (its event no longer passes its contract...) */
            lastError: string | null;
            /** Format: date-time */
            createdAt: string;
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
        /** @description The fan-out of the event to topics for one workflow, streamed in pages by the worker: members at the time it began, once each, never the event's own recipients nor its `exclude` list. */
        TopicFanOut: {
            /** Format: uuid */
            id: string;
            workflow: string;
            topics: string[];
            /** @enum {unknown} */
            status: "running" | "done" | "cancelled";
            /** @description Streams over ranges of subscriber ids whose pages ran at once (CLARION_TOPIC_STREAMS, for topics of more than two pages) */
            streams: number;
            pages: number;
            /** @description Notifications made so far (the event's `notifications` lists them with the others) */
            notifications: number;
            /** Format: date-time */
            startedAt: string;
            /** Format: date-time */
            finishedAt: string | null;
        };
        StoredEvent: {
            /** Format: uuid */
            id: string;
            /**
             * @description `cancelled`: cancelled before it was fanned out
             * @enum {unknown}
             */
            status: "received" | "processing" | "processed" | "failed" | "cancelled";
            /** @description What went wrong processing it (recipients that cannot be resolved...) */
            error?: string | null;
            /** @description Why a processed event produced nothing, when that is no error (no workflow for its type) */
            notice?: string | null;
            /** Format: date-time */
            receivedAt: string;
            /** Format: date-time */
            processedAt?: string | null;
            contractVersion?: number | null;
            /**
             * Format: date-time
             * @description When it was cancelled (`DELETE /v1/events/{id}`, `POST /v1/cancellations`)
             */
            cancelledAt?: string | null;
            cancelReason?: string | null;
            /**
             * Format: date-time
             * @description From the `deliverafter` extension: the event is fanned out at this time
             */
            deliverAfter?: string | null;
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
        Readiness: {
            /** @enum {unknown} */
            status?: "ready" | "not ready";
            checks?: {
                [key: string]: string;
            };
        };
        /** @description An RFC 9457 problem document; a client error lists its failing fields under `errors`. Other members are extensions of the error (`allowed` of a 405, ...) */
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
                /** @description JSON Pointer to the failing field (`/data/amount`, `/2/type`), or `header:<name>` */
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
        CancellationResult: {
            /** @description Events cancelled */
            events: number;
            reason: string;
            cancelled: {
                /** @description Events not fanned out yet (a `deliverafter` still ahead): nothing of them will be sent */
                events: number;
                /** @description Topic fan-outs stopped before their last page */
                topicFanOuts: number;
                /** @description Notifications that had something pending */
                notifications: number;
                /** @description Notifications waiting for a time (quiet hours, a send window) */
                deferred: number;
                /** @description Notifications waiting in a delay step of their workflow */
                delayed: number;
                /** @description Notifications taken out of an open digest */
                batched: number;
                escalationSteps: number;
                /** @description Deliveries queued or waiting for a retry */
                deliveries: number;
                /** @description Notifications nothing had gone out for, now suppressed */
                suppressed: number;
                /** @description Schedules whose event carries the key (POST /v1/cancellations only): ended, nothing more is emitted */
                schedules: number;
            };
            /** @description Deliveries being handed to a provider at this moment: they complete */
            inFlight: number;
            alreadySent: {
                count: number;
                /** @description What providers already had (reported, not recalled): the first 100 */
                items: {
                    /** Format: uuid */
                    notificationId: string;
                    subscriberId: string | null;
                    channel: string;
                    status: string;
                }[];
            };
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
            /** @description Email engagement tracking for the workflows that do not set their own `tracking` (critical workflows never inherit it). Off by default. */
            tracking?: {
                /** @description Add a tracking pixel to HTML emails */
                opens?: boolean;
                /** @description Lead links of HTML emails through the signed click redirect */
                clicks?: boolean;
            };
            /**
             * @description Which of a channel's providers is tried first for the workflows that do not set their own `routing`: `priority` (default: ascending priority) or `leastCost` (the cheapest declared price for the recipient's country first: the providers' `price.byPrefix`, else their base price)
             * @enum {string}
             */
            routing?: "priority" | "leastCost";
            /** @description Days events, notifications, deliveries and their attempts, interactions, inbox items, attachments and webhook messages are kept; older ones are deleted daily, never while still pending. Unset: the operator's default (CLARION_RETENTION_DAYS, 90 unless changed); never more than the operator's maximum (CLARION_RETENTION_MAX_DAYS, 365 unless changed): a larger value is refused. Analytics figures are kept longer. */
            retentionDays?: number;
            attachments?: {
                /** @description Largest file, decoded (default 5 MiB, at most 10 MiB) */
                maxBytes?: number;
                /** @description Most files an event attaches (default 5; 0 refuses attachments) */
                maxFiles?: number;
                /** @description Content types accepted (default: application/pdf, text/plain, text/csv, image/png, image/jpeg, text/calendar) */
                types?: string[];
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
                /** @description Email engagement tracking for the workflows that do not set their own `tracking` (critical workflows never inherit it). Off by default. */
                tracking?: {
                    /** @description Add a tracking pixel to HTML emails */
                    opens?: boolean;
                    /** @description Lead links of HTML emails through the signed click redirect */
                    clicks?: boolean;
                };
                /**
                 * @description Which of a channel's providers is tried first for the workflows that do not set their own `routing`: `priority` (default: ascending priority) or `leastCost` (the cheapest declared price for the recipient's country first: the providers' `price.byPrefix`, else their base price)
                 * @enum {string}
                 */
                routing?: "priority" | "leastCost";
                /** @description Days events, notifications, deliveries and their attempts, interactions, inbox items, attachments and webhook messages are kept; older ones are deleted daily, never while still pending. Unset: the operator's default (CLARION_RETENTION_DAYS, 90 unless changed); never more than the operator's maximum (CLARION_RETENTION_MAX_DAYS, 365 unless changed): a larger value is refused. Analytics figures are kept longer. */
                retentionDays?: number;
                attachments?: {
                    /** @description Largest file, decoded (default 5 MiB, at most 10 MiB) */
                    maxBytes?: number;
                    /** @description Most files an event attaches (default 5; 0 refuses attachments) */
                    maxFiles?: number;
                    /** @description Content types accepted (default: application/pdf, text/plain, text/csv, image/png, image/jpeg, text/calendar) */
                    types?: string[];
                };
            };
            /** Format: date-time */
            createdAt: string;
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
