import * as z from 'zod';
import { ALL_API_SCOPES, ApiScopeSchema, type ApiScope, type ApiToken } from '../contracts/api-scope.js';
import { redisEnvFields, resolveRedisDeployment } from './redis-env.js';

const SCOPE_LIST = /^[a-z]+(?:\+[a-z]+)*$/;

/** `open+read` → the scopes; undefined names the first word that is not one. */
function parseScopes(text: string): { scopes: ApiScope[] } | { unknown: string } {
  const scopes: ApiScope[] = [];
  for (const word of text.split('+')) {
    const scope = ApiScopeSchema.safeParse(word);
    if (!scope.success) return { unknown: word };
    if (!scopes.includes(scope.data)) scopes.push(scope.data);
  }
  return { scopes };
}

/**
 * `name:token` or `name[scope+scope]:token` pairs separated by commas. A token without a scope list may do
 * everything (the behaviour before scopes existed); start-up warns about each one.
 */
const tokenList = z.string().transform((text, ctx) => {
  const tokens: ApiToken[] = [];
  for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const separator = entry.indexOf(':');
    const label = /^([A-Za-z0-9_.@-]{1,64})(?:\[([^\]]*)\])?$/.exec(entry.slice(0, Math.max(separator, 0)));
    const token = entry.slice(separator + 1);
    if (separator < 1 || !label?.[1] || token.length < 16) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be name:token or name[scope+scope]:token pairs separated by commas; a name of letters, digits and _.@-, each token at least 16 characters',
      });
      return z.NEVER;
    }
    const scopeText = label[2];
    if (scopeText === undefined) {
      tokens.push({ name: label[1], token, scopes: ALL_API_SCOPES, scoped: false });
      continue;
    }
    const parsed = SCOPE_LIST.test(scopeText) ? parseScopes(scopeText) : { unknown: scopeText };
    if ('unknown' in parsed) {
      ctx.addIssue({ code: 'custom', message: `token ${label[1]}: "${parsed.unknown}" is not a scope (${ALL_API_SCOPES.join(', ')}, joined with +)` });
      return z.NEVER;
    }
    tokens.push({ name: label[1], token, scopes: parsed.scopes, scoped: true });
  }
  return tokens;
});

/** `open,operate`: what a request signed with WEBHOOK_HMAC_SECRET may do. */
const scopeList = z.string().transform((text, ctx) => {
  const parsed = parseScopes(text.split(',').map((word) => word.trim()).join('+'));
  if ('unknown' in parsed) {
    ctx.addIssue({ code: 'custom', message: `"${parsed.unknown}" is not a scope (${ALL_API_SCOPES.join(', ')}, separated by commas)` });
    return z.NEVER;
  }
  return parsed.scopes;
});

const flag = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((value) => ['true', '1', 'yes'].includes(value));

/** Environment variables (DESIGN section 3). A bad value stops start-up with the variable's name. */
const EnvVariables = z.object({
  ...redisEnvFields,
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080).describe('Port the API listens on.'),
  HOST: z.string().default('0.0.0.0').describe('Interface the API listens on.'),
  WEBHOOK_TOKENS: tokenList
    .optional()
    .describe(
      'Bearer tokens, `name[scope+scope]:token` separated by commas (each token at least 16 characters; scopes `open`, `read`, `operate`, see docs/security.md). ' +
        'A name without `[...]` gets every scope, and start-up warns about it. The name is recorded as who opened or changed the watch. ' +
        'One of `WEBHOOK_TOKENS` and `WEBHOOK_HMAC_SECRET` must be set: the webhook never runs unauthenticated.',
    ),
  WEBHOOK_HMAC_SECRET: z
    .string()
    .min(16, { error: 'must be at least 16 characters' })
    .optional()
    .describe('HMAC secret for signed requests (at least 16 characters).'),
  WEBHOOK_HMAC_SCOPES: scopeList.default([...ALL_API_SCOPES]).describe('What a signed request may do: scopes separated by commas.'),
  WEBHOOK_ACCEPT_V1_SIGNATURES: flag
    .default(false)
    .describe(
      'Also accept the older `v1` signature (the body only, not the method, path or query), on `POST /v1/containments` only. Weaker: turn it on only while signers move to `v2`.',
    ),
  WEBHOOK_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(120).describe('Webhook calls per minute per caller, then 429 with `Retry-After`.'),
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xox[bp]-/, { error: 'must be a bot token starting with xoxb-' })
    .optional()
    .describe('`xoxb-…`. Unset: findings go to the console and `FINDINGS_JSONL`.'),
  SLACK_SIGNING_SECRET: z.string().min(1).optional().describe('Slack over HTTP: Bolt verifies `POST /slack/events` with it (see docs/slack.md).'),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, { error: 'must be an app-level token starting with xapp-' })
    .optional()
    .describe('`xapp-…`: Slack over Socket Mode instead of HTTP.'),
  SLACK_API_URL: z.url().optional().describe('Slack Web API base (tests point it at a fake). Unset: `https://slack.com/api/`.'),
  SLACK_DEFAULT_CHANNEL: z
    .string()
    .min(1)
    .optional()
    .describe('Channel for watches whose webhook names none, and the fallback when a channel is not found.'),
  CW_CONFIG: z.string().min(1).optional().describe('Path of `containment-watch.yaml`. Unset: no file, every YAML setting at its default and no sources.'),
  CW_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/i)
    .default('cw')
    .describe('Redis key prefix; two installs (or test runs) on one Redis use different prefixes.'),
  PUBLIC_URL: z.url().optional().describe('Base URL of this API as users reach it, for links in Slack. Unset: `http://127.0.0.1:$PORT`.'),
  FINDINGS_JSONL: z
    .string()
    .optional()
    .describe(
      'File the console reporter appends every publication to, as JSON lines, each exactly once (a `line_id` per line; a worker killed mid-write leaves a claim the next publication finishes).',
    ),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino level; logs are JSON with `watch_id`/`incident_id`, never secrets.'),
});

/** The variables, and `redis`: the one deployment the `REDIS_*` variables describe (see `redis-env.ts`). */
export const EnvSchema = EnvVariables.transform((env, ctx) => {
  const redis = resolveRedisDeployment(env, (variable, message) => ctx.addIssue({ code: 'custom', path: [variable], message }));
  return redis === undefined ? z.NEVER : { ...env, redis };
});
export type Env = z.infer<typeof EnvSchema>;
