import * as z from 'zod';
import { ContainmentRequestSchema } from '../contracts/containment-request.js';
import { FindingSchema } from '../contracts/finding.js';
import { WatchViewSchema } from '../contracts/watch.js';
import { ListedAllowRuleSchema } from '../stores/allow-rule-store.js';
import type { ApiScope } from '../contracts/api-scope.js';
import { ApiErrorBodySchema } from './errors.js';
import { ExtendBodySchema, ListQuerySchema, StopBodySchema, WatchListSchema } from './routes/watches.js';

const schema = (type: z.ZodType) => z.toJSONSchema(type, { io: 'input', unrepresentable: 'any' });

const OpenResponseSchema = z.object({
  watch_id: z.string(),
  incident_id: z.string(),
  state: z.string(),
  status_url: z.string(),
  expires_at: z.string(),
  merged: z.boolean(),
});

/** Query parameters of an endpoint, from the zod schema that parses them. */
const queryParameters = (type: z.ZodObject) =>
  Object.entries(type.shape).map(([name, field]) => {
    const { description, ...fieldSchema } = schema(field as z.ZodType) as { description?: string; $schema?: string };
    delete fieldSchema.$schema;
    return { name, in: 'query', required: false, ...(description === undefined ? {} : { description }), schema: fieldSchema };
  });

const json = (type: z.ZodType) => ({ content: { 'application/json': { schema: schema(type) } } });
const errors = {
  400: { description: 'invalid request; `issues` names each field', ...json(ApiErrorBodySchema) },
  401: { description: 'missing or invalid authentication, or a signature already used', ...json(ApiErrorBodySchema) },
  403: { description: 'the token lacks the scope this endpoint needs', ...json(ApiErrorBodySchema) },
};

/** The scope an operation needs, as OpenAPI 3.1 security requirements (scopes of non-OAuth schemes are roles). */
const needs = (scope: ApiScope) => ({ security: [{ bearer: [scope] }, { hmac: [scope] }] });

let document: unknown;

/** OpenAPI 3.1 document generated from the same zod schemas that validate requests. */
export function openApiDocument(): unknown {
  document ??= {
    openapi: '3.1.0',
    info: { title: 'containment-watch', version: '0.1.0' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        hmac: {
          type: 'apiKey',
          in: 'header',
          name: 'X-CW-Signature',
          description:
            'v2=hex(HMAC-SHA256(secret, "v2:" + X-CW-Timestamp + ":" + METHOD + ":" + path-and-query + ":" + raw body)); X-CW-Timestamp within 300 s; each signature is accepted once',
        },
      },
    },
    security: [{ bearer: [] }, { hmac: [] }],
    paths: {
      '/v1/containments': {
        post: {
          ...needs('open'),
          summary: 'Open a watch after a containment action, or merge into the incident’s active watch',
          requestBody: { required: true, ...json(ContainmentRequestSchema) },
          responses: {
            202: { description: 'new watch', ...json(OpenResponseSchema) },
            200: { description: 'repeated action_id, or merged into the active watch', ...json(OpenResponseSchema) },
            ...errors,
            413: { description: 'body larger than 256 KiB', ...json(ApiErrorBodySchema) },
            415: { description: 'body is not JSON', ...json(ApiErrorBodySchema) },
            429: { description: 'too many requests', ...json(ApiErrorBodySchema) },
          },
        },
      },
      '/v1/watches': {
        get: {
          ...needs('read'),
          summary: 'List watches, newest first, a page at a time: follow next_cursor until it is null',
          parameters: queryParameters(ListQuerySchema),
          responses: { 200: { description: 'one page of watches', ...json(WatchListSchema) }, ...errors },
        },
      },
      '/v1/watches/{id}': { get: { ...needs('read'), summary: 'One watch', responses: { 200: { description: 'watch', ...json(WatchViewSchema) }, ...errors } } },
      '/v1/watches/{id}/findings': {
        get: { ...needs('read'), summary: 'Findings of a watch', responses: { 200: { description: 'findings', ...json(z.object({ watch_id: z.string(), findings: z.array(FindingSchema) })) } } },
      },
      '/v1/watches/{id}/report': { get: { ...needs('read'), summary: 'Evidence report (?format=json|md)', responses: { 200: { description: 'report' } } } },
      '/v1/watches/{id}/extend': {
        post: { ...needs('operate'), summary: 'Extend the window', requestBody: json(ExtendBodySchema), responses: { 200: { description: 'watch', ...json(WatchViewSchema) }, ...errors } },
      },
      '/v1/watches/{id}/stop': {
        post: { ...needs('operate'), summary: 'Stop the watch now; the verdict follows', requestBody: json(StopBodySchema), responses: { 202: { description: 'watch', ...json(WatchViewSchema) }, ...errors } },
      },
      '/v1/allow-rules': {
        get: {
          ...needs('read'),
          summary: 'Allow-rules responders created with "Mark benign" (rules in containment-watch.yaml are not listed)',
          responses: { 200: { description: 'rules', ...json(z.object({ rules: z.array(ListedAllowRuleSchema) })) }, ...errors },
        },
      },
      '/v1/allow-rules/{id}': {
        delete: {
          ...needs('operate'),
          summary: 'Delete an allow-rule created from Slack; every worker stops applying it at its next poll',
          responses: { 200: { description: 'the deleted rule', ...json(z.object({ removed: ListedAllowRuleSchema.omit({ expired: true }) })) }, 404: { description: 'no such rule', ...json(ApiErrorBodySchema) }, ...errors },
        },
      },
      '/healthz': { get: { security: [], summary: 'Liveness', responses: { 200: { description: 'ok' } } } },
      '/readyz': { get: { security: [], summary: 'Readiness: Redis reachable, workers alive', responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } } } },
      '/metrics': { get: { security: [], summary: 'Prometheus metrics', responses: { 200: { description: 'metrics' } } } },
      '/slack/events': {
        post: {
          security: [],
          summary: "Slack buttons, modals, /containment and events (HTTP mode only; Bolt checks Slack's request signature)",
          responses: { 200: { description: 'acknowledged' }, 401: { description: 'bad or missing Slack signature' } },
        },
      },
    },
  };
  return document;
}
