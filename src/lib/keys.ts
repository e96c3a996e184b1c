/**
 * Every Redis key the product owns. They all carry the hash tag `{<prefix>}`, so the multi-key scripts and
 * transactions that keep a watch and its indexes consistent stay in one slot of a Redis Cluster. The data is
 * small (watches, findings, baselines); BullMQ's queues, the bulk of the traffic, live under their own tags.
 */
export function redisKeys(prefix: string) {
  const global = `{${prefix}}`;
  const watch = (id: string) => `${global}:w:${id}`;
  return {
    prefix,
    /** BullMQ prefix: queues keep their keys in one slot per queue. */
    bullPrefix: `${prefix}-q`,
    watch: (id: string) => `${watch(id)}:watch`,
    watchLock: (id: string) => `${watch(id)}:lock`,
    findings: (id: string) => `${watch(id)}:findings`,
    publishedFindings: (id: string) => `${watch(id)}:published`,
    eventStats: (id: string) => `${watch(id)}:event-stats`,
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
