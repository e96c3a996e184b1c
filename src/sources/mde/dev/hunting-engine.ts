import { createHash } from 'node:crypto';
import { type Scenario, searchableAt } from '../../../dev/scenario/index.js';
import { runPipeline } from './kql-pipeline.js';
import type { KqlRow } from './kql-scalar.js';
import type { HostFilter, HuntingQuery } from './kql-reader.js';
import { columnType, fromTicks, toMdeRow, toTicks, type MdeRow, type StoredRow } from './mde-rows.js';

export interface HuntingResult {
  schema: { name: string; type: string }[];
  results: (MdeRow | KqlRow)[];
}

export interface EngineContext {
  scenario: Scenario;
  /** Wall clock of the fake, epoch ms. */
  nowMs: number;
  /** An event is only visible once now >= time + delay. */
  ingestionDelayMs: number;
  /** Graph's `Timespan` window in ticks, intersected with the query's own range. */
  window: { from: bigint; to: bigint };
}

const TICKS_PER_MS = 10_000n;

function matchesHost(row: MdeRow, hosts: HostFilter): boolean {
  const name = String(row.DeviceName).toLowerCase();
  const shortName = name.split('.')[0] ?? '';
  return (
    hosts.deviceNames.some((value) => value.toLowerCase() === name) ||
    hosts.shortNames.some((value) => value.toLowerCase() === shortName) ||
    hosts.deviceIds.includes(String(row.DeviceId)) ||
    hosts.localIps.includes(String(row.LocalIP))
  );
}

/** Whether a row passes the query's ingestion filter: a Timestamp at or after its bound, or ingested since. */
function passesCovered(query: HuntingQuery, ticks: bigint, ingestedMs: number): boolean {
  if (query.kind !== 'rows' || query.covered === undefined) return true;
  return ticks >= toTicks(query.covered.until) || BigInt(ingestedMs) * TICKS_PER_MS >= toTicks(query.covered.ingestedSince);
}

/** The rows the query's filters select, in ticks order. */
function filteredRows(query: HuntingQuery, context: EngineContext): StoredRow[] {
  const from = [toTicks(query.from), context.window.from].reduce((a, b) => (a > b ? a : b));
  const to = [toTicks(query.to), context.window.to].reduce((a, b) => (a < b ? a : b));
  if (from >= to) return [];
  const fromMs = Number(from / TICKS_PER_MS);
  const toMs = Number((to + TICKS_PER_MS - 1n) / TICKS_PER_MS);
  return searchableAt(context.scenario.connections(new Date(fromMs), new Date(toMs)), context.ingestionDelayMs, context.nowMs)
    .flatMap(({ connection, ingestedMs }) => {
      const stored = toMdeRow(connection);
      return passesCovered(query, stored.ticks, ingestedMs) ? [stored] : [];
    })
    .filter(
      ({ ticks, row }) =>
        ticks >= from && ticks < to && query.actionTypes.includes(String(row.ActionType)) && (query.hosts === undefined || matchesHost(row, query.hosts)),
    );
}

const compareValues = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);

function compareRowKeys(a: StoredRow, b: StoredRow): number {
  if (a.ticks !== b.ticks) return a.ticks < b.ticks ? -1 : 1;
  return compareValues(a.row.DeviceId ?? '', b.row.DeviceId ?? '') || compareValues(a.row.ReportId ?? 0, b.row.ReportId ?? 0);
}

function runRows(query: Extract<HuntingQuery, { kind: 'rows' }>, rows: StoredRow[]): HuntingResult {
  const after = query.after;
  const cursor = after && { ticks: toTicks(after.timestamp), row: { DeviceId: after.deviceId, ReportId: after.reportId } };
  const page = rows
    .sort(compareRowKeys)
    .filter((row) => !cursor || compareRowKeys(row, cursor) > 0)
    .slice(0, query.take);
  return {
    schema: query.columns.map((name) => ({ name, type: columnType(name) })),
    // Kusto's null string is empty; a datetime it has no value for is null.
    results: page.map(({ row }) => Object.fromEntries(query.columns.map((name) => [name, row[name] ?? (columnType(name) === 'DateTime' ? null : '')]))),
  };
}

function runSummarize(query: Extract<HuntingQuery, { kind: 'summarize' }>, rows: StoredRow[]): HuntingResult {
  const groups = new Map<string, MdeRow>();
  for (const { ticks, row } of rows) {
    const values = query.by.map((name) => row[name] ?? '');
    // Any deterministic, collision-free key works: the client only hands it back as the cursor.
    const key = createHash('sha256').update(JSON.stringify(values)).digest('hex');
    const group = groups.get(key) ?? { ...Object.fromEntries(query.by.map((name, index) => [name, values[index] ?? ''])), [query.keyColumn]: key };
    for (const aggregate of query.aggregates) {
      const current = group[aggregate.name];
      if (aggregate.fn === 'count') {
        group[aggregate.name] = (typeof current === 'number' ? current : 0) + 1;
        continue;
      }
      const value = aggregate.column === 'Timestamp' ? fromTicks(ticks) : (row[aggregate.column ?? ''] ?? '');
      const better = aggregate.fn === 'min' ? compareValues(value, current ?? value) <= 0 : compareValues(value, current ?? value) >= 0;
      if (current === undefined || better) group[aggregate.name] = value;
    }
    groups.set(key, group);
  }
  const key = query.keyColumn;
  const page = [...groups.values()]
    .sort((a, b) => compareValues(a[key] ?? '', b[key] ?? ''))
    .filter((group) => query.afterKey === undefined || compareValues(group[key] ?? '', query.afterKey) > 0)
    .slice(0, query.take);
  const schema = [
    ...query.by.map((name) => ({ name, type: columnType(name) })),
    ...query.aggregates.map((aggregate) => ({
      name: aggregate.name,
      type: aggregate.fn === 'count' ? 'Int64' : columnType(aggregate.column ?? ''),
    })),
    { name: key, type: 'String' },
  ];
  return { schema, results: page.map((group) => Object.fromEntries(schema.map(({ name }) => [name, group[name] ?? '']))) };
}

function runEstate(query: Extract<HuntingQuery, { kind: 'estate' }>, rows: StoredRow[]): HuntingResult {
  const results = runPipeline(query.stages, rows.map(({ row }) => row));
  return { schema: query.columns, results: results.map((row) => Object.fromEntries(query.columns.map(({ name }) => [name, row[name] ?? null]))) };
}

/** Runs a read query over the scenario as advanced hunting would. */
export function executeHuntingQuery(query: HuntingQuery, context: EngineContext): HuntingResult {
  const rows = filteredRows(query, context);
  if (query.kind === 'rows') return runRows(query, rows);
  return query.kind === 'summarize' ? runSummarize(query, rows) : runEstate(query, rows);
}
