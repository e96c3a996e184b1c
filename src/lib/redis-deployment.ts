/** The shape of the Redis deployment the product talks to; `config/redis-env.ts` resolves it from the environment. */

/** Where a Redis server or Sentinel listens. */
export interface RedisAddress {
  host: string;
  port: number;
}

/** An ACL user (Redis 6+) or, with a password alone, the `default` user of `requirepass`. */
export interface RedisAuth {
  username?: string;
  password?: string;
}

export interface RedisTls {
  /** PEM text of the CA that signed the servers' certificates; the system's CAs when absent. */
  ca?: string;
  /** Name checked against the servers' certificates when they are reached by IP (managed cluster modes). */
  servername?: string;
}

interface RedisAccess {
  auth: RedisAuth;
  /** Absent: plain TCP. */
  tls?: RedisTls;
}

/** The one Redis deployment the product talks to, resolved from the `REDIS_*` variables. */
export type RedisDeployment =
  | ({ topology: 'single'; address: RedisAddress; db: number } & RedisAccess)
  | ({ topology: 'sentinel'; sentinels: RedisAddress[]; masterName: string; sentinelAuth: RedisAuth } & RedisAccess)
  | ({ topology: 'cluster'; nodes: RedisAddress[] } & RedisAccess);
