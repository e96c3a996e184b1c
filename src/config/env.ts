import * as z from 'zod';
import { redisEnvFields, resolveRedisDeployment } from './redis-env.js';

const tokenList = z
  .string()
  .transform((text, ctx) => {
    const tokens: { name: string; token: string }[] = [];
    for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
      const separator = entry.indexOf(':');
      const name = entry.slice(0, separator);
      const token = entry.slice(separator + 1);
      if (separator < 1 || token.length < 16) {
        ctx.addIssue({ code: 'custom', message: 'must be name:token pairs separated by commas, each token at least 16 characters' });
        return z.NEVER;
      }
      tokens.push({ name, token });
    }
    return tokens;
  });

/** Environment variables (DESIGN section 3). A bad value stops start-up with the variable's name. */
const EnvVariables = z.object({
  ...redisEnvFields,
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** Interface the API listens on. */
  HOST: z.string().default('0.0.0.0'),
  WEBHOOK_TOKENS: tokenList.optional(),
  WEBHOOK_HMAC_SECRET: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
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
