import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one process, served at GET /metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    webhooks: new Counter({
      name: 'cw_webhook_requests_total',
      help: 'Webhook calls by outcome (created, merged, repeated, rejected status code).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    polls: new Counter({
      name: 'cw_source_polls_total',
      help: 'Source poll shards (a scheduled poll is split into shards of about one query; a close looks in shards too) by source and outcome.',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    }),
    pollInterval: new Gauge({
      name: 'cw_source_poll_interval_seconds',
      help: 'How often scheduled polls of the source start: the interval its watches asked for, or longer when one poll takes more queries than its request budget allows (the watches show it as slowed).',
      labelNames: ['source'],
      registers: [registry],
    }),
    pollSeconds: new Histogram({
      name: 'cw_source_poll_seconds',
      help: 'Duration of one poll shard: its read and the fan-out to its watches.',
      labelNames: ['source'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    events: new Counter({
      name: 'cw_events_total',
      help: 'New events recorded for watches, by source.',
      labelNames: ['source'],
      registers: [registry],
    }),
    findings: new Counter({
      name: 'cw_findings_total',
      help: 'Findings created or escalated, by severity.',
      labelNames: ['severity', 'change'],
      registers: [registry],
    }),
    stringsRepaired: new Counter({
      name: 'cw_source_strings_repaired_total',
      help: 'Malformed text in vendor answers replaced with U+FFFD at the connector boundary, by source and where: utf8 (invalid UTF-8 sequences in a body) or the connector call (lone UTF-16 surrogates).',
      labelNames: ['source', 'method'],
      registers: [registry],
    }),
    eventsQuarantined: new Counter({
      name: 'cw_events_quarantined_total',
      help: 'Events the findings script could not decode or apply, set aside per watch instead of recorded, by source.',
      labelNames: ['source'],
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
