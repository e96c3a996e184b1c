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
    /** Events the watch recorded, by `eventDigest` of their id, scored by event time; trimmed to the look-back. */
    seenEventDigests: (id: string) => `${watch(id)}:seen-digests`,
    /** The same by full event id, as versions before digests wrote it: still read, and trimmed until it is gone. */
    seenEvents: (id: string) => `${watch(id)}:seen`,
    /** Held while a poll of `sourceId` reads and records for the watch: one poll at a time per watch and source. */
    watchPollLock: (id: string, sourceId: string) => `${watch(id)}:poll-lock:${sourceId}`,
    suppressed: (id: string) => `${watch(id)}:suppressed`,
    /** Recent connections of one (host, process, destination, port, protocol) tuple, by its finding id. */
    beaconHistory: (id: string, tuple: string) => `${watch(id)}:beacon:${tuple}`,
    /** Connections counted per tuple, including those dropped from its bounded history. */
    beaconCounts: (id: string) => `${watch(id)}:beacon-counts`,
    /** Attempts on a blocked indicator per finding and UTC minute ("<finding id>:<minute start ms>" -> count). */
    retryMinutes: (id: string) => `${watch(id)}:retry-minutes`,
    /** Events the findings script could not decode or apply (newest first, capped): "<event id>\t<reason>". */
    quarantinedEvents: (id: string) => `${watch(id)}:quarantined-events`,
    baseline: (id: string) => `${watch(id)}:baseline`,
    /**
     * When each host was heard from: host (lower-cased label) -> one bit per minute of the window in which any source
     * heard from it (SETBIT's order), and '' -> epoch ms from which they were recorded (the first poll's read start).
     */
    heardMinutes: (id: string) => `${watch(id)}:heard-minutes`,
    /** The same per host in a key of its own, as versions before `heardMinutes` wrote it: still read. */
    heard: (id: string, host: string) => `${watch(id)}:heard:${host}`,
    /** The same as `heardMinutes`' '' field, as versions before it wrote it: still read, and then preferred. */
    heardFrom: (id: string) => `${watch(id)}:heard-from`,
    /** Hosts that were reporting and went quiet: label -> when last heard (ISO 8601). */
    quietHosts: (id: string) => `${watch(id)}:quiet`,
    sourceHealth: (id: string) => `${watch(id)}:sources`,
    slackMessages: (id: string) => `${watch(id)}:slack`,
    /** Why the watch's messages went to the fallback channel (JSON), if they did. */
    slackDelivery: (id: string) => `${watch(id)}:slack-delivery`,
    activeWatches: `${global}:watches:active`,
    allWatches: `${global}:watches:all`,
    /** Every watch ever opened for an incident, scored by creation (epoch ms), for `GET /v1/watches?incident=`. */
    incidentWatches: (incidentId: string) => `${global}:incident-watches:${incidentId}`,
    /** Every watch of a host identifier (see `hostTokens`), scored by creation (epoch ms), for `?host=`. */
    hostWatches: (token: string) => `${global}:host-watches:${token}`,
    /** Version of the listing indexes above once earlier watches were added to them. */
    watchListIndexes: `${global}:watches:list-indexes`,
    incidentWatch: (incidentId: string) => `${global}:incident:${incidentId}`,
    incidentLock: (incidentId: string) => `${global}:incident-lock:${incidentId}`,
    idempotency: (key: string) => `${global}:idem:${key}`,
    sourceWatches: (sourceId: string) => `${global}:source:${sourceId}:watches`,
    requestBudget: (sourceId: string) => `${global}:source:${sourceId}:budget`,
    /** Set while a slowed source's last poll start holds its interval: no other poll starts until it expires. */
    pollStarted: (sourceId: string) => `${global}:source:${sourceId}:poll-started`,
    tokenCache: (sourceId: string) => `${global}:source:${sourceId}:token`,
    /** Sources whose polling is paused by a terminal failure (a rejected credential): source id -> JSON. */
    sourceFaults: `${global}:source-faults`,
    /** Sources polled less often than asked, to stay within their request budget: source id -> JSON (PollPace). */
    pollPaces: `${global}:poll-paces`,
    /** One host's raw baseline rows from one source (packed JSON, `packJson`), reused by later watches of that host. */
    hostBaseline: (sourceId: string, host: string) => `${global}:source:${sourceId}:host-baseline:${host}`,
    /** The source's latest estate-wide prevalence reads (packed JSON, `packJson`), newest first. */
    prevalence: (sourceId: string) => `${global}:source:${sourceId}:prevalence`,
    /** One estate prevalence read (packed JSON, `packJson`), by content id, referenced by the baselines that used it. */
    prevalenceRead: (sourceId: string, readId: string) => `${global}:source:${sourceId}:prevalence:read:${readId}`,
    /** The open watches whose baselines reference that read: it is kept while one remains. */
    prevalenceReadUsers: (sourceId: string, readId: string) => `${global}:source:${sourceId}:prevalence:read:${readId}:watches`,
    /** The ids of the source's stored prevalence reads. */
    prevalenceReads: (sourceId: string) => `${global}:source:${sourceId}:prevalence:reads`,
    /** When the source's prevalence was last read, and the last failure (JSON). */
    prevalenceStatus: (sourceId: string) => `${global}:source:${sourceId}:prevalence-status`,
    webhookRate: (principal: string) => `${global}:rate:${principal}`,
    /** A request signature already accepted; it expires when the signature's timestamp leaves the window. */
    usedSignature: (signature: string) => `${global}:used-signature:${signature}`,
    workerHeartbeat: (workerId: string) => `${global}:worker:${workerId}`,
    workerHeartbeats: `${global}:workers`,
    /** Allow-rules added from Slack ("Mark benign"): rule id -> JSON, and a counter bumped on every change. */
    allowRules: `${global}:allow-rules`,
    allowRulesVersion: `${global}:allow-rules:version`,
    /** Next free send slot (epoch ms) of one Slack channel, shared by every process. */
    slackPace: (lane: string, channel: string) => `${global}:slack-pace:${lane}:${channel}`,
    /** A Slack interaction already taken in (retries of it are ignored). */
    slackInteraction: (hash: string) => `${global}:slack-interaction:${hash}`,
    /** An ephemeral reply already sent for an interaction. */
    slackReplied: (ref: string) => `${global}:slack-replied:${ref}`,
    /** Cached members of a Slack channel or user group. */
    slackMembers: (kind: 'channel' | 'usergroup', id: string) => `${global}:slack-members:${kind}:${id}`,
    /** Users who opened the App Home, by last opening (epoch ms), for refreshes. */
    slackHomeViewers: `${global}:slack-home-viewers`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
