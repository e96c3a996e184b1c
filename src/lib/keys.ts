/**
 * Every Redis key the product owns. Keys of one watch share the hash tag `{w:<id>}` so that multi-key
 * scripts on a watch work in Redis Cluster; global indexes carry the prefix's own tag.
 */
export function redisKeys(prefix: string) {
  const global = `{${prefix}}`;
  const watch = (id: string) => `${prefix}:{w:${id}}`;
  return {
    prefix,
    /** BullMQ prefix: queues keep their keys in one slot per queue. */
    bullPrefix: `${prefix}-q`,
    watch: (id: string) => `${watch(id)}:watch`,
    watchLock: (id: string) => `${watch(id)}:lock`,
    findings: (id: string) => `${watch(id)}:findings`,
    findingCounts: (id: string) => `${watch(id)}:finding-counts`,
    seenEvents: (id: string) => `${watch(id)}:seen`,
    suppressed: (id: string) => `${watch(id)}:suppressed`,
    baseline: (id: string) => `${watch(id)}:baseline`,
    sourceHealth: (id: string) => `${watch(id)}:sources`,
    slackMessages: (id: string) => `${watch(id)}:slack`,
    activeWatches: `${global}:watches:active`,
    allWatches: `${global}:watches:all`,
    incidentWatch: (incidentId: string) => `${global}:incident:${incidentId}`,
    incidentLock: (incidentId: string) => `${global}:incident-lock:${incidentId}`,
    idempotency: (key: string) => `${global}:idem:${key}`,
    sourceWatches: (sourceId: string) => `${global}:source:${sourceId}:watches`,
    sourcePollLock: (sourceId: string) => `${global}:source:${sourceId}:poll-lock`,
    requestBudget: (sourceId: string) => `${global}:source:${sourceId}:budget`,
    tokenCache: (sourceId: string) => `${global}:source:${sourceId}:token`,
    webhookRate: (principal: string) => `${global}:rate:${principal}`,
    workerHeartbeat: (workerId: string) => `${global}:worker:${workerId}`,
    workerHeartbeats: `${global}:workers`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
