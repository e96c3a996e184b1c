import { type Scenario, searchableAt } from '../../../dev/scenario/index.js';
import { aggregate, meetsComparison, type Row } from './cql-aggregates.js';
import type { JobQuery } from './cql-reader.js';
import { aidOf, networkEvent, processRollup, type FalconEvent } from './falcon-data.js';

export interface JobContext {
  scenario: Scenario;
  /** Job time range, epoch ms: [start, end). */
  startMs: number;
  endMs: number;
  /** An event is only searchable once now >= time + delay. */
  nowMs: number;
  ingestionDelayMs: number;
  /** Whether events carry `@ingesttimestamp`. */
  stampsIngested: boolean;
}

const compare = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);

/** The network events the query's filters select, with the joined process fields, oldest first. */
function selectedEvents(query: JobQuery, context: JobContext): FalconEvent[] {
  const aids = query.aids && new Set(query.aids.map((aid) => aid.toLowerCase()));
  const joinAids = new Set(query.join?.aids.map((aid) => aid.toLowerCase()));
  const excluded = new Set(query.kind === 'events' ? query.excludeIds : []);
  return searchableAt(context.scenario.connections(new Date(context.startMs), new Date(context.endMs)), context.ingestionDelayMs, context.nowMs)
    .filter(({ connection }) => !aids || aids.has(aidOf(connection.host)))
    .filter(({ connection, ingestedMs }) => !query.covered || !context.stampsIngested || connection.time >= query.covered.untilMs || ingestedMs >= query.covered.ingestedSinceMs)
    .map(({ connection, ingestedMs }) => {
      const event = networkEvent(connection, context.stampsIngested ? ingestedMs : undefined);
      // The join's subquery reads ProcessRollup2 events from its `start`: a process that started earlier is not found.
      // A process whose start the scenario does not know is taken to be inside any window.
      const started = connection.process.started_at;
      if (!query.join || !joinAids.has(aidOf(connection.host)) || (started !== undefined && started < query.join.startMs)) return event;
      const rollup = processRollup(connection);
      return { ...event, ...Object.fromEntries(query.join.include.flatMap((field) => (rollup[field] === undefined ? [] : [[field, rollup[field]]]))) };
    })
    .filter((event) => query.eventNames.includes(String(event.event_simpleName)) && !excluded.has(String(event['@id'])))
    .sort((a, b) => compare(a['@timestamp'] ?? 0, b['@timestamp'] ?? 0) || compare(a['@id'] ?? '', b['@id'] ?? ''));
}

function runAggregation(query: Extract<JobQuery, { kind: 'aggregate' }>, events: FalconEvent[]): Row[] {
  if (query.defaults) {
    const { fields, value } = query.defaults;
    // The events are this job's own copies: default() sets the missing fields in place.
    for (const event of events) for (const field of fields) event[field] ??= value;
  }
  let rows: Row[] = events;
  for (const stage of query.stages) {
    rows = stage.kind === 'aggregate' ? aggregate(stage.aggregator, rows) : rows.filter((row) => meetsComparison(row, stage.field, stage.operator, stage.value));
  }
  return rows;
}

/** Runs a read query job over the scenario as NG-SIEM would. */
export function runJob(query: JobQuery, context: JobContext): Row[] {
  const events = selectedEvents(query, context);
  return query.kind === 'events' ? events.slice(0, query.limit) : runAggregation(query, events);
}
