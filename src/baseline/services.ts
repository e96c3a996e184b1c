import type { Redis } from 'ioredis';
import type { RedisKeys } from '../lib/keys.js';
import { HostBaselineCache } from '../stores/host-baseline-cache.js';
import { PrevalenceStore } from '../stores/prevalence-store.js';
import type { BaselinePolicy } from './settings.js';

/** What the baseline jobs share: the per-host cache, the prevalence reads, and the policy for both. */
export interface BaselineServices {
  cache: HostBaselineCache;
  prevalence: PrevalenceStore;
  policy: BaselinePolicy;
  /** Per source id, the `sourceFingerprint` of its configuration: cached rows of another configuration are not reused. */
  sourceFingerprints: ReadonlyMap<string, string>;
}

export const createBaselineServices = (
  redis: Redis,
  keys: RedisKeys,
  policy: BaselinePolicy,
  sourceFingerprints: ReadonlyMap<string, string>,
): BaselineServices => ({
  cache: new HostBaselineCache(redis, keys),
  prevalence: new PrevalenceStore(redis, keys),
  policy,
  sourceFingerprints,
});
