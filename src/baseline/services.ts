import type { Redis } from 'ioredis';
import type { RedisKeys } from '../lib/keys.js';
import { HostBaselineCache } from './host-baseline-cache.js';
import { PrevalenceStore } from './prevalence-store.js';
import type { BaselinePolicy } from './settings.js';

/** What the baseline jobs share: the per-host cache, the prevalence reads, and the policy for both. */
export interface BaselineServices {
  cache: HostBaselineCache;
  prevalence: PrevalenceStore;
  policy: BaselinePolicy;
}

export const createBaselineServices = (redis: Redis, keys: RedisKeys, policy: BaselinePolicy): BaselineServices => ({
  cache: new HostBaselineCache(redis, keys),
  prevalence: new PrevalenceStore(redis, keys),
  policy,
});
