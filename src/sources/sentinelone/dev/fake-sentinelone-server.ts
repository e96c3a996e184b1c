import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import * as z from 'zod';
import { type Scenario, searchableAt } from '../../../dev/scenario/index.js';
import { VendorFake } from '../../../dev/vendor-fake.js';
import type { FakeFailure } from '../../../dev/vendor-failure.js';
import { agentRecord, agentUuidOf, inSwaggerNames, ipConnectEvent, type DvEvent, type DvFieldNames } from './dv-data.js';
import { answerFailure, s1Error } from './s1-failures.js';
import { readDvQuery, type DvQuery } from './s1ql-reader.js';

export type { FakeFailure } from '../../../dev/vendor-failure.js';

export interface FakeSentineloneOptions {
  scenario: Scenario;
  apiToken: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** The fake only ever listens on loopback. */
  host?: '127.0.0.1';
  /** Telemetry latency: an event is searchable once now >= time + delay. Default 0. */
  ingestionDelayMs?: number;
  /** Status polls that answer RUNNING before a query is FINISHED. Default 0. */
  pollsBeforeFinished?: number;
  /** The field names of dv/events rows. Default `current`. */
  eventFieldNames?: DvFieldNames;
  /** Fields dv/events rows leave out, whatever their names: a tenant whose rows lack them. */
  omitEventFields?: readonly string[];
  now?: () => number;
}

export interface S1RequestRecord {
  method: string;
  path: string;
  status: number;
  /** The init-query's S1QL as the fake read it. */
  query?: DvQuery;
  /** `computerName__contains` values of an agents lookup. */
  agentNames?: string[];
  error?: string;
}

interface DvJob {
  events: DvEvent[];
  statusPolls: number;
}

/** query-status: one call per second per token. */
const STATUS_INTERVAL_MS = 1_000;

const InitQueryBodySchema = z.object({
  query: z.string().min(1),
  fromDate: z.iso.datetime({ offset: true }),
  toDate: z.iso.datetime({ offset: true }),
  limit: z.number().int().min(1).max(100_000).optional(),
  queryType: z.array(z.enum(['events', 'processState'])).optional(),
  isVerbose: z.boolean().optional(),
  accountIds: z.array(z.string()).optional(),
  siteIds: z.array(z.string()).optional(),
});

const encodeCursor = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64url');
function decodeCursor(cursor: unknown): number | undefined {
  if (typeof cursor !== 'string') return undefined;
  try {
    const offset: unknown = (JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { offset?: unknown }).offset;
    return typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0 ? offset : undefined;
  } catch {
    return undefined;
  }
}

/** Loopback fake of the SentinelOne management API: agents and Deep Visibility, in their wire formats. */
export class FakeSentinelone extends VendorFake<FakeFailure> {
  readonly requests: S1RequestRecord[] = [];
  ingestionDelayMs: number;
  /** query-status calls refused for coming within a second of the previous one. */
  statusRateViolations = 0;
  private readonly jobs = new Map<string, DvJob>();
  private lastStatusAt = -Infinity;
  private readonly now: () => number;

  constructor(private readonly options: FakeSentineloneOptions) {
    super(options.port);
    this.ingestionDelayMs = options.ingestionDelayMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  requestCount(): number {
    return this.requests.length;
  }

  /** Every agent name the fake read out of S1QL queries and agent lookups. */
  queriedHostNames(): string[] {
    return this.requests.flatMap((request) => [...(request.query?.agentNames ?? []), ...(request.agentNames ?? [])]);
  }

  protected app() {
    const app = express();
    app.use((req, res, next) => this.gate(req, res, next));
    app.get('/web/api/v2.1/agents', (req, res) => this.agents(req, res));
    app.post('/web/api/v2.1/dv/init-query', express.json({ limit: '1mb' }), (req, res) => this.initQuery(req, res));
    app.get('/web/api/v2.1/dv/query-status', (req, res) => this.queryStatus(req, res));
    app.get('/web/api/v2.1/dv/events', (req, res) => this.events(req, res));
    app.post('/web/api/v2.1/dv/cancel-query', express.json(), (req, res) => this.cancelQuery(req, res));
    app.use((_req: Request, res: Response) => s1Error(res, 404, 'The requested resource was not found'));
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      s1Error(res, 400, `invalid request body: ${error instanceof Error ? error.message : 'unreadable'}`);
    });
    return app;
  }

  private record(res: Response): S1RequestRecord {
    return res.locals.record as S1RequestRecord;
  }

  /** Records every request, plays a queued failure, then checks the API token. */
  private gate(req: Request, res: Response, next: NextFunction): void {
    const record: S1RequestRecord = { method: req.method, path: req.path, status: 0 };
    this.requests.push(record);
    res.locals.record = record;
    const failure = this.nextFailure();
    if (failure) {
      record.status = answerFailure(failure, req, res);
      return;
    }
    if (req.get('authorization') !== `ApiToken ${this.options.apiToken}`) {
      record.status = 401;
      s1Error(res, 401, 'Authentication failed');
      return;
    }
    next();
  }

  private agents(req: Request, res: Response): void {
    const record = this.record(res);
    const list = (value: unknown) => (typeof value === 'string' && value !== '' ? value.split(',') : undefined);
    const names = list(req.query.computerName__contains);
    const uuids = list(req.query.uuids);
    // Free-text (substring) match on the agent's local interface addresses, as the 2.1 API documents it.
    const addresses = list(req.query.networkInterfaceInet__contains);
    record.agentNames = names;
    const nowMs = this.now();
    const agents = this.options.scenario.hosts
      .filter((host) => !names || names.some((name) => host.hostname.toLowerCase().includes(name.toLowerCase())))
      .filter((host) => !uuids || uuids.includes(agentUuidOf(host)))
      .filter((host) => !addresses || addresses.some((address) => host.ip.includes(address)))
      .map((host) => agentRecord(host, nowMs));
    this.page(res, record, agents, req.query.limit, req.query.cursor);
  }

  private page(res: Response, record: S1RequestRecord, items: readonly unknown[], limitParam: unknown, cursorParam: unknown): void {
    const limit = Number(limitParam ?? 10);
    const offset = cursorParam === undefined ? 0 : decodeCursor(cursorParam);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1_000 || offset === undefined) {
      record.status = 400;
      s1Error(res, 400, 'limit must be 1-1000 and cursor one the API gave');
      return;
    }
    const end = offset + limit;
    record.status = 200;
    res.json({ data: items.slice(offset, end), pagination: { totalItems: items.length, nextCursor: end < items.length ? encodeCursor(end) : null } });
  }

  private initQuery(req: Request, res: Response): void {
    const record = this.record(res);
    const body = InitQueryBodySchema.safeParse(req.body);
    if (!body.success) {
      record.status = 400;
      s1Error(res, 400, `init-query needs query, fromDate and toDate: ${body.error.issues[0]?.message ?? ''}`);
      return;
    }
    try {
      record.query = readDvQuery(body.data.query);
    } catch (error) {
      record.status = 400;
      record.error = error instanceof Error ? error.message : String(error);
      s1Error(res, 400, `Query syntax error: ${record.error}`);
      return;
    }
    const { agentNames, agentUuids, eventType, everyAgent, netEventDirection } = record.query;
    const nowMs = this.now();
    const events = searchableAt(this.options.scenario.connections(new Date(body.data.fromDate), new Date(Date.parse(body.data.toDate) + 1)), this.ingestionDelayMs, nowMs)
      .map(({ connection }) => connection)
      .filter(
        (connection) =>
          everyAgent === true ||
          agentUuids.includes(agentUuidOf(connection.host)) ||
          agentNames.some((name) => connection.host.hostname.toLowerCase().includes(name.toLowerCase())),
      )
      .map(ipConnectEvent)
      .filter((event) => event.eventType === eventType)
      .filter((event) => netEventDirection === undefined || String(event.netEventDirection).toUpperCase() === netEventDirection.toUpperCase())
      .slice(0, body.data.limit ?? 1_000)
      .map((event) => this.asSent(event));
    const queryId = `q${randomBytes(10).toString('hex')}`;
    this.jobs.set(queryId, { events, statusPolls: 0 });
    record.status = 200;
    res.json({ data: { queryId, queryModeInfo: { lastActivatedAt: new Date(nowMs).toISOString(), mode: 'scalyr' } } });
  }

  /** The row in the field names the options ask for, less the omitted fields. */
  private asSent(event: DvEvent): DvEvent {
    const row = this.options.eventFieldNames === 'swagger' ? inSwaggerNames(event) : event;
    const omitted = new Set(this.options.omitEventFields);
    return Object.fromEntries(Object.entries(row).filter(([name]) => !omitted.has(name)));
  }

  private queryStatus(req: Request, res: Response): void {
    const record = this.record(res);
    const nowMs = this.now();
    if (nowMs - this.lastStatusAt < STATUS_INTERVAL_MS) {
      this.statusRateViolations += 1;
      record.status = 429;
      res.set('Retry-After', '1');
      s1Error(res, 429, 'query-status is limited to 1 call per second per token');
      return;
    }
    this.lastStatusAt = nowMs;
    const job = this.jobs.get(String(req.query.queryId));
    if (!job) {
      record.status = 200;
      res.json({ data: { progressStatus: 0, responseState: 'QUERY_NOT_FOUND' } });
      return;
    }
    job.statusPolls += 1;
    const running = job.statusPolls <= (this.options.pollsBeforeFinished ?? 0);
    record.status = 200;
    res.json({
      data: {
        progressStatus: running ? 50 : 100,
        responseState: running ? 'RUNNING' : job.events.length > 0 ? 'FINISHED' : 'EMPTY_RESULTS',
        queryModeInfo: { mode: 'scalyr' },
      },
    });
  }

  private events(req: Request, res: Response): void {
    const record = this.record(res);
    const job = this.jobs.get(String(req.query.queryId));
    if (!job) {
      record.status = 404;
      s1Error(res, 404, 'Query not found or expired');
      return;
    }
    this.page(res, record, job.events, req.query.limit, req.query.cursor);
  }

  private cancelQuery(req: Request, res: Response): void {
    const record = this.record(res);
    const queryId = typeof req.body === 'object' && req.body !== null ? (req.body as { queryId?: unknown }).queryId : undefined;
    record.status = 200;
    res.json({ data: { success: this.jobs.delete(String(queryId)) } });
  }
}

/** Starts the fake on 127.0.0.1; `close()` stops it. */
export function startFakeSentinelone(options: FakeSentineloneOptions): Promise<FakeSentinelone> {
  return new FakeSentinelone(options).start();
}
