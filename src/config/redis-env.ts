import { readFileSync } from 'node:fs';
import * as z from 'zod';
import type { RedisAddress, RedisAuth, RedisDeployment, RedisTls } from '../lib/redis-deployment.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** `host:port` pairs separated by commas; an IPv6 host in brackets (`[::1]:26379`). */
const addressList = z.string().transform((text, ctx) => {
  const addresses: RedisAddress[] = [];
  for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/i.exec(entry);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65_535) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not host:port (an IPv6 host goes in brackets: [::1]:6379)` });
      return z.NEVER;
    }
    addresses.push({ host: match[1] ?? match[2]!, port });
  }
  if (addresses.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must list at least one host:port' });
    return z.NEVER;
  }
  return addresses;
});

const flag = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((value) => ['true', '1', 'yes'].includes(value));

/** The `REDIS_*` environment variables, spread into the environment schema. */
export const redisEnvFields = {
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, { error: 'must be a redis:// or rediss:// URL' })
    .optional()
    .describe('A single node: `redis://[user:password@]host:6379[/db]` (`rediss://` for TLS). Unset, with no Sentinel or Cluster: `redis://127.0.0.1:6379`.'),
  REDIS_SENTINELS: addressList
    .optional()
    .describe('Sentinel (automatic failover): the Sentinels as `host:26379,host:26379,...`; an IPv6 host in brackets (`[::1]:26379`). Needs `REDIS_SENTINEL_NAME`. Every connection follows a failover: when the Sentinels announce a new master, one still on the old master (even a hung one that keeps its connections open) leaves it and asks them again.'),
  REDIS_SENTINEL_NAME: z.string().min(1).optional().describe('The master group name, as in `sentinel monitor <name> ...`. Only with `REDIS_SENTINELS`.'),
  REDIS_SENTINEL_USERNAME: z.string().min(1).optional().describe('ACL user of the Sentinels themselves, when they require auth; needs `REDIS_SENTINEL_PASSWORD`.'),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional().describe('Password of the Sentinels themselves, when they require auth.'),
  REDIS_CLUSTER_NODES: addressList
    .optional()
    .describe('Cluster: a few seed nodes as `host:6379,host:6379` (the rest are discovered); a managed cluster\'s configuration endpoint.'),
  REDIS_USERNAME: z.string().min(1).optional().describe('ACL user (Redis 6+), for any topology; needs `REDIS_PASSWORD`. In `REDIS_URL` instead if you prefer, not both.'),
  REDIS_PASSWORD: z.string().min(1).optional().describe('Password of the ACL user, or alone for `requirepass`. In `REDIS_URL` instead if you prefer, not both.'),
  REDIS_TLS: flag.optional().describe('TLS to every node (and, with Sentinel, to the Sentinels). On by itself with a `rediss://` URL.'),
  REDIS_TLS_CA: z.string().min(1).optional().describe('Path of a PEM file with the CA that signed the servers\' certificates. Unset: the system\'s CAs.'),
  REDIS_TLS_SERVERNAME: z
    .string()
    .min(1)
    .optional()
    .describe('Name checked against the servers\' certificates where nodes are announced by IP (Azure Cache for Redis clustered).'),
};

type RedisEnv = z.output<z.ZodObject<typeof redisEnvFields>>;

const TOPOLOGY_VARIABLES = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const;
const SENTINEL_ONLY = ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_USERNAME', 'REDIS_SENTINEL_PASSWORD'] as const;

type Problem = (variable: keyof RedisEnv, message: string) => void;

interface ParsedUrl {
  address: RedisAddress;
  db: number;
  tls: boolean;
  auth: RedisAuth;
}

function parseUrl(text: string, problem: Problem): ParsedUrl | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problem('REDIS_URL', 'is not a valid URL');
    return undefined;
  }
  const db = url.pathname === '' || url.pathname === '/' ? 0 : Number(url.pathname.slice(1));
  if (!Number.isInteger(db) || db < 0) {
    problem('REDIS_URL', 'the path must be a database number (redis://host:6379/0)');
    return undefined;
  }
  return {
    address: { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? 6379 : Number(url.port) },
    db,
    tls: url.protocol === 'rediss:',
    auth: {
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    },
  };
}

/** REDIS_USERNAME/REDIS_PASSWORD, or the URL's: one place only, so no setting silently wins over another. */
function authOf(env: RedisEnv, fromUrl: RedisAuth, problem: Problem): RedisAuth {
  if (fromUrl.username !== undefined && env.REDIS_USERNAME !== undefined) problem('REDIS_USERNAME', 'REDIS_URL already names a user: set it in one place');
  if (fromUrl.password !== undefined && env.REDIS_PASSWORD !== undefined) problem('REDIS_PASSWORD', 'REDIS_URL already holds a password: set it in one place');
  const auth: RedisAuth = {
    ...fromUrl,
    ...(env.REDIS_USERNAME !== undefined ? { username: env.REDIS_USERNAME } : {}),
    ...(env.REDIS_PASSWORD !== undefined ? { password: env.REDIS_PASSWORD } : {}),
  };
  if (auth.username !== undefined && auth.password === undefined) problem('REDIS_USERNAME', 'an ACL user needs REDIS_PASSWORD');
  return auth;
}

function tlsOf(env: RedisEnv, urlTls: boolean, problem: Problem): RedisTls | undefined {
  if (urlTls && env.REDIS_TLS === false) problem('REDIS_TLS', 'is false but REDIS_URL is rediss://');
  const on = urlTls || env.REDIS_TLS === true;
  if (!on) {
    for (const variable of ['REDIS_TLS_CA', 'REDIS_TLS_SERVERNAME'] as const) {
      if (env[variable] !== undefined) problem(variable, 'TLS is off: set REDIS_TLS=true or use a rediss:// URL');
    }
    return undefined;
  }
  let ca: string | undefined;
  if (env.REDIS_TLS_CA !== undefined) {
    try {
      ca = readFileSync(env.REDIS_TLS_CA, 'utf8');
    } catch (error) {
      problem('REDIS_TLS_CA', `cannot read ${env.REDIS_TLS_CA}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return { ...(ca !== undefined ? { ca } : {}), ...(env.REDIS_TLS_SERVERNAME !== undefined ? { servername: env.REDIS_TLS_SERVERNAME } : {}) };
}

/**
 * The deployment the `REDIS_*` variables describe: exactly one of REDIS_URL, REDIS_SENTINELS (with
 * REDIS_SENTINEL_NAME) and REDIS_CLUSTER_NODES, with ACL and TLS settings shared by all three. Each conflict or
 * missing companion is reported on the variable at fault; `undefined` when there was any.
 */
export function resolveRedisDeployment(env: RedisEnv, report: (variable: string, message: string) => void): RedisDeployment | undefined {
  let failed = false;
  const problem: Problem = (variable, message) => {
    failed = true;
    report(variable, message);
  };
  const chosen = TOPOLOGY_VARIABLES.filter((variable) => env[variable] !== undefined);
  for (const variable of chosen.slice(1)) {
    problem(variable, `conflicts with ${chosen[0]}: set exactly one of ${TOPOLOGY_VARIABLES.join(', ')}`);
  }
  if (env.REDIS_SENTINELS !== undefined && env.REDIS_SENTINEL_NAME === undefined) {
    problem('REDIS_SENTINEL_NAME', 'is required with REDIS_SENTINELS (the master group name, as in `sentinel monitor <name> ...`)');
  }
  if (env.REDIS_SENTINELS === undefined) {
    for (const variable of SENTINEL_ONLY) if (env[variable] !== undefined) problem(variable, 'is only used with REDIS_SENTINELS');
  }
  if (env.REDIS_SENTINEL_USERNAME !== undefined && env.REDIS_SENTINEL_PASSWORD === undefined) {
    problem('REDIS_SENTINEL_USERNAME', 'an ACL user needs REDIS_SENTINEL_PASSWORD');
  }
  const url = chosen[0] === 'REDIS_SENTINELS' || chosen[0] === 'REDIS_CLUSTER_NODES' ? undefined : parseUrl(env.REDIS_URL ?? DEFAULT_REDIS_URL, problem);
  const auth = authOf(env, url?.auth ?? {}, problem);
  const tls = tlsOf(env, url?.tls ?? false, problem);
  if (failed) return undefined;
  const access = { auth, ...(tls ? { tls } : {}) };
  if (env.REDIS_SENTINELS !== undefined) {
    const sentinelAuth: RedisAuth = {
      ...(env.REDIS_SENTINEL_USERNAME !== undefined ? { username: env.REDIS_SENTINEL_USERNAME } : {}),
      ...(env.REDIS_SENTINEL_PASSWORD !== undefined ? { password: env.REDIS_SENTINEL_PASSWORD } : {}),
    };
    return { topology: 'sentinel', sentinels: env.REDIS_SENTINELS, masterName: env.REDIS_SENTINEL_NAME!, sentinelAuth, ...access };
  }
  if (env.REDIS_CLUSTER_NODES !== undefined) return { topology: 'cluster', nodes: env.REDIS_CLUSTER_NODES, ...access };
  return { topology: 'single', address: url!.address, db: url!.db, ...access };
}
