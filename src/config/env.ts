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
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** Interface the API listens on. */
  HOST: z.string().default('0.0.0.0'),
  WEBHOOK_TOKENS: tokenList.optional(),
  WEBHOOK_HMAC_SECRET: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  /** What a signed request may do. */
  WEBHOOK_HMAC_SCOPES: scopeList.default([...ALL_API_SCOPES]),
  /** Also accept the older v1 signature (not bound to method, path or query), on POST /v1/containments only. */
  WEBHOOK_ACCEPT_V1_SIGNATURES: flag.default(false),
  /** Webhook calls per minute per caller before 429. */
  WEBHOOK_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(120),
  SLACK_BOT_TOKEN: z.string().regex(/^xox[bp]-/, { error: 'must be a bot token starting with xoxb-' }).optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-/, { error: 'must be an app-level token starting with xapp-' }).optional(),
  SLACK_API_URL: z.url().optional(),
  SLACK_DEFAULT_CHANNEL: z.string().min(1).optional(),
  /** Path of containment-watch.yaml. */
  CW_CONFIG: z.string().min(1).optional(),
  /** Redis key prefix; two installs (or test runs) on one Redis use different prefixes. */
  CW_PREFIX: z.string().regex(/^[a-z0-9_-]{1,32}$/i).default('cw'),
  /** Base URL of this API as users reach it, for links in Slack. */
  PUBLIC_URL: z.url().optional(),
  /** Where the console reporter appends JSON lines when Slack is not configured. */
  FINDINGS_JSONL: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The variables, and `redis`: the one deployment the `REDIS_*` variables describe (see `redis-env.ts`). */
export const EnvSchema = EnvVariables.transform((env, ctx) => {
  const redis = resolveRedisDeployment(env, (variable, message) => ctx.addIssue({ code: 'custom', path: [variable], message }));
  return redis === undefined ? z.NEVER : { ...env, redis };
});
export type Env = z.infer<typeof EnvSchema>;
