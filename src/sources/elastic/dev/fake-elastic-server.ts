import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { type Scenario, searchableAt } from '../../../dev/scenario/index.js';
import { VendorFake } from '../../../dev/vendor-fake.js';
import type { FakeFailure } from '../../../dev/vendor-failure.js';
import { hash32 } from '../../../dev/scenario/stable-hash.js';
import { readAggregations, runAggregations } from './aggregations.js';
import { AggregationSearchBodySchema, DslParsingError, PitSearchBodySchema, clauseValues, readBody, readClause, type Clause } from './dsl-reader.js';
import { DATA_STREAMS, ecsDocs, type EcsDoc } from './ecs-docs.js';
import { answerFailure, esError, unauthenticated } from './es-failures.js';
import { matches } from './search-engine.js';

export type { FakeFailure } from '../../../dev/vendor-failure.js';

export interface FakeElasticOptions {
  scenario: Scenario;
  /** The encoded API key the fake accepts (`Authorization: ApiKey <apiKey>`). */
  apiKey: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** The fake only ever listens on loopback. */
  host?: '127.0.0.1';
  /** Telemetry latency: a document is searchable once now >= time + delay. Default 0. */
  ingestionDelayMs?: number;
  /**
   * Whether documents carry `event.ingested` (whole seconds of when they became searchable), as the Defend and Fleet
   * integration pipelines set it. False plays a custom pipeline that does not. Default true.
   */
  stampsIngested?: boolean;
  /** How long every aggregation search takes to answer, as on a busy cluster. Default 0. */
  answerDelayMs?: number;
  now?: () => number;
}

export interface EsRequestRecord {
  method: string;
  path: string;
  status: number;
  /** The search's query clause, as the fake read it. */
  query?: Clause;
  /** The body as received, for tests that look at paging or aggregation. */
  body?: unknown;
  error?: string;
}

interface Pit {
  indices: string[];
  expiresAt: number;
}

const BACKING_INDICES = Object.keys(DATA_STREAMS);

/** Index patterns (comma-separated, `*` wildcards) to the backing indices of the data streams they name. */
function resolveIndices(path: string): string[] | undefined {
  const patterns = decodeURIComponent(path).split(',');
  const resolved = new Set<string>();
  for (const pattern of patterns) {
    const glob = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    const hits = BACKING_INDICES.filter((index) => glob.test(DATA_STREAMS[index] ?? '') || glob.test(index));
    if (hits.length === 0 && !pattern.includes('*')) return undefined;
    for (const hit of hits) resolved.add(hit);
  }
  return [...resolved];
}

/** The `@timestamp` range a query asks for; the fake needs one to know which scenario events to materialise. */
function timeRange(clause: Clause): { from: number; to: number } | undefined {
  if (clause.kind === 'range' && clause.field === '@timestamp' && clause.gte && clause.lt) return { from: Date.parse(clause.gte), to: Date.parse(clause.lt) };
  if (clause.kind !== 'bool') return undefined;
  for (const inner of clause.filter) {
    const range = timeRange(inner);
    if (range) return range;
  }
  return undefined;
}

const shardDoc = (doc: EcsDoc): number => hash32(`${doc.index}/${doc.id}`);
const nanos = (iso: string): string => iso.replace(/\.(\d{3})Z$/, '.$1000000Z');
const millis = (value: string | number): number => (typeof value === 'number' ? value : Date.parse(value.replace(/\.(\d{3})\d*Z$/, '.$1Z')));

/** Loopback fake of Elasticsearch: point in time, `_search` with search_after, and aggregations. */
export class FakeElastic extends VendorFake<FakeFailure> {
  readonly requests: EsRequestRecord[] = [];
  ingestionDelayMs: number;
  private readonly pits = new Map<string, Pit>();
  private readonly now: () => number;

  constructor(private readonly options: FakeElasticOptions) {
    super(options.port);
    this.ingestionDelayMs = options.ingestionDelayMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  requestCount(): number {
    return this.requests.length;
  }

  /** Every `host.name` value the searches' term and prefix clauses asked for. */
  queriedHostNames(): string[] {
    return this.requests.flatMap((request) => (request.query ? clauseValues(request.query, 'host.name') : []));
  }

  /** Points in time still open. */
  openPits(): number {
    return this.pits.size;
  }

  protected app() {
    const app = express();
    app.use((_req, res, next) => {
      res.set('X-Elastic-Product', 'Elasticsearch');
      next();
    });
    app.use((req, res, next) => this.gate(req, res, next));
    app.use(express.json({ limit: '5mb' }));
    app.post('/_search', (req, res) => this.pitSearch(req, res));
    app.delete('/_pit', (req, res) => this.closePit(req, res));
    app.post('/:indices/_pit', (req, res) => this.openPit(req, res));
    app.post('/:indices/_search', (req, res) => {
      const delayMs = this.options.answerDelayMs ?? 0;
      if (delayMs > 0) setTimeout(() => this.aggregationSearch(req, res), delayMs).unref();
      else this.aggregationSearch(req, res);
    });
    app.use((req: Request, res: Response) => esError(res, 404, 'illegal_argument_exception', `no handler found for uri [${req.path}] and method [${req.method}]`));
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      esError(res, 400, 'parse_exception', `request body is required and must be JSON: ${error instanceof Error ? error.message : 'unreadable'}`);
    });
    return app;
  }

  private record(res: Response): EsRequestRecord {
    return res.locals.record as EsRequestRecord;
  }

  private gate(req: Request, res: Response, next: NextFunction): void {
    const record: EsRequestRecord = { method: req.method, path: req.path, status: 0 };
    this.requests.push(record);
    res.locals.record = record;
    const failure = this.nextFailure();
    if (failure) {
      record.status = answerFailure(failure, req, res);
      return;
    }
    if (req.get('authorization') !== `ApiKey ${this.options.apiKey}`) {
      record.status = 401;
      unauthenticated(res);
      return;
    }
    next();
  }

  private openPit(req: Request, res: Response): void {
    const record = this.record(res);
    const indices = resolveIndices(String(req.params.indices));
    if (!indices) {
      record.status = 404;
      esError(res, 404, 'index_not_found_exception', `no such index [${String(req.params.indices)}]`);
      return;
    }
    const keepAlive = String(req.query.keep_alive ?? '');
    const seconds = /^(\d+)(s|m)$/.exec(keepAlive);
    if (!seconds) {
      record.status = 400;
      esError(res, 400, 'illegal_argument_exception', 'keep_alive is required, e.g. 1m');
      return;
    }
    const id = randomBytes(48).toString('base64');
    this.pits.set(id, { indices, expiresAt: this.now() + Number(seconds[1]) * (seconds[2] === 'm' ? 60_000 : 1_000) });
    record.status = 200;
    res.json({ id });
  }

  private closePit(req: Request, res: Response): void {
    const record = this.record(res);
    const id = typeof req.body === 'object' && req.body !== null ? (req.body as { id?: unknown }).id : undefined;
    const freed = this.pits.delete(String(id));
    record.status = freed ? 200 : 404;
    res.status(record.status).json({ succeeded: freed, num_freed: freed ? 1 : 0 });
  }

  /** The documents of `indices` in the query's time range that match it and are already ingested. */
  private documents(indices: readonly string[], query: Clause): EcsDoc[] {
    const range = timeRange(query);
    if (!range) throw new DslParsingError('the fake needs a range filter on @timestamp with gte and lt');
    const nowMs = this.now();
    // From a little earlier: a Defend disconnect is stored 1.5 s after its connection, possibly inside the range.
    return searchableAt(this.options.scenario.connections(new Date(range.from - 5_000), new Date(range.to)), this.ingestionDelayMs, nowMs)
      .flatMap(({ connection, ingestedMs }) => ecsDocs(connection, this.options.stampsIngested === false ? undefined : ingestedMs))
      .filter((doc) => indices.includes(doc.index) && matches(doc, query));
  }

  private pitSearch(req: Request, res: Response): void {
    const record = this.record(res);
    record.body = req.body;
    try {
      const body = readBody(PitSearchBodySchema, req.body);
      record.query = readClause(body.query);
      const pit = this.pits.get(body.pit.id);
      if (!pit || pit.expiresAt <= this.now()) {
        record.status = 404;
        esError(res, 404, 'search_context_missing_exception', 'No search context found for id');
        return;
      }
      const after = body.search_after ? { time: millis(body.search_after[0]), doc: body.search_after[1] } : undefined;
      const wanted = new Set(body.fields ?? []);
      const hits = this.documents(pit.indices, record.query)
        .map((doc) => ({ doc, time: millis(String(doc.fields['@timestamp']?.[0])), shard: shardDoc(doc) }))
        .sort((a, b) => a.time - b.time || a.shard - b.shard)
        .filter((hit) => !after || hit.time > after.time || (hit.time === after.time && hit.shard > after.doc))
        .slice(0, body.size)
        .map(({ doc, shard }) => ({
          _index: doc.index,
          _id: doc.id,
          _score: null,
          fields: Object.fromEntries(Object.entries(doc.fields).filter(([field]) => wanted.has(field))),
          sort: [nanos(String(doc.fields['@timestamp']?.[0])), shard],
        }));
      record.status = 200;
      res.json({ pit_id: body.pit.id, took: 2, timed_out: false, _shards: { total: 2, successful: 2, skipped: 0, failed: 0 }, hits: { max_score: null, hits } });
    } catch (error) {
      this.badRequest(record, res, error);
    }
  }

  private aggregationSearch(req: Request, res: Response): void {
    const record = this.record(res);
    record.body = req.body;
    try {
      const indices = resolveIndices(String(req.params.indices));
      if (!indices) {
        record.status = 404;
        esError(res, 404, 'index_not_found_exception', `no such index [${String(req.params.indices)}]`);
        return;
      }
      const body = readBody(AggregationSearchBodySchema, req.body);
      record.query = readClause(body.query);
      const aggregations = runAggregations(this.documents(indices, record.query), readAggregations(body.aggs));
      record.status = 200;
      res.json({ took: 5, timed_out: false, _shards: { total: 2, successful: 2, skipped: 0, failed: 0 }, hits: { max_score: null, hits: [] }, aggregations });
    } catch (error) {
      this.badRequest(record, res, error);
    }
  }

  private badRequest(record: EsRequestRecord, res: Response, error: unknown): void {
    if (!(error instanceof DslParsingError)) throw error;
    record.status = 400;
    record.error = error.message;
    esError(res, 400, 'parsing_exception', error.message);
  }
}

/** Starts the fake on 127.0.0.1; `close()` stops it. */
export function startFakeElastic(options: FakeElasticOptions): Promise<FakeElastic> {
  return new FakeElastic(options).start();
}
