import { randomBytes, randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import * as z from 'zod';
import type { Scenario } from '../../../dev/scenario/index.js';
import { VendorFake } from '../../../dev/vendor-fake.js';
import type { FakeFailure } from '../../../dev/vendor-failure.js';
import { CqlSyntaxError } from './cql-lexer.js';
import { answerFailure, falconEnvelope, falconError } from './falcon-failures.js';
import { readJobQuery, type JobQuery } from './cql-reader.js';
import { aidOf, deviceRecord } from './falcon-data.js';
import { readDeviceFilter, type FqlTerm } from './fql-reader.js';
import { runJob } from './job-engine.js';

export type { FakeFailure } from '../../../dev/vendor-failure.js';

export interface FakeCrowdstrikeOptions {
  scenario: Scenario;
  clientId: string;
  clientSecret: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** The fake only ever listens on loopback. */
  host?: '127.0.0.1';
  /** NG-SIEM repository the fake serves. Default search-all. */
  repository?: string;
  /** Telemetry latency: an event is searchable once now >= time + delay. Default 0. */
  ingestionDelayMs?: number;
  /** Whether events carry `@ingesttimestamp`, as LogScale sets it on every event. False plays one without. Default true. */
  stampsIngested?: boolean;
  /** Polls a query job answers `done: false` before it is done. Default 1. */
  pollsBeforeDone?: number;
  /** The cluster's MAX_JOIN_LIMIT: a `join(limit=)` above it is refused. Default 200,000, LogScale's. */
  maxJoinLimit?: number;
  /** `expires_in` of issued tokens. Default 1799, as Falcon answers. */
  tokenLifetimeSeconds?: number;
  now?: () => number;
}

export interface FalconRequestRecord {
  method: string;
  path: string;
  status: number;
  /** Hosts API filter terms, as the fake read them. */
  fql?: FqlTerm[];
  /** Query job query, as the fake read it. */
  query?: JobQuery;
  error?: string;
}

interface QueryJob {
  query: JobQuery;
  startMs: number;
  endMs: number;
  polls: number;
}

const RATE_LIMIT = 6_000;
const JobBodySchema = z.object({
  queryString: z.string().min(1),
  start: z.union([z.string(), z.number()]),
  end: z.union([z.string(), z.number()]).optional(),
  isLive: z.boolean().optional(),
  timeZoneOffsetMinutes: z.number().optional(),
});

/** LogScale reads a number as epoch milliseconds and a string as a relative time ("24h"), which the fake does not run. */
const epochMs = (value: string | number | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  if (typeof value === 'string') throw new CqlSyntaxError(`"${value}" is a relative time; the fake runs absolute epoch-ms numbers only`);
  if (!Number.isSafeInteger(value)) throw new CqlSyntaxError(`the fake reads absolute epoch-ms times only, got ${value}`);
  return value;
};

/** Loopback fake of the Falcon gateway: OAuth2, the Hosts API and NG-SIEM query jobs, in their wire formats. */
export class FakeCrowdstrike extends VendorFake<FakeFailure> {
  readonly requests: FalconRequestRecord[] = [];
  tokenRequests = 0;
  ingestionDelayMs: number;
  private readonly tokens = new Map<string, number>();
  private readonly jobs = new Map<string, QueryJob>();
  private readonly now: () => number;

  constructor(private readonly options: FakeCrowdstrikeOptions) {
    super(options.port);
    this.ingestionDelayMs = options.ingestionDelayMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  /** Data requests served so far (token requests not counted). */
  requestCount(): number {
    return this.requests.length;
  }

  /** Every host name the Hosts API filters asked for, unescaped by the FQL reader. */
  queriedHostNames(): string[] {
    return this.requests.flatMap((request) => (request.fql ?? []).filter((term) => term.property === 'hostname').map((term) => term.value));
  }

  revokeTokens(): void {
    this.tokens.clear();
  }

  protected app() {
    const app = express();
    app.use((_req, res, next) => {
      res.set({ 'X-Cs-Traceid': randomUUID(), 'X-Ratelimit-Limit': String(RATE_LIMIT), 'X-Ratelimit-Remaining': String(RATE_LIMIT - 1) });
      next();
    });
    app.post('/oauth2/token', express.urlencoded({ extended: false }), (req, res) => this.token(req, res));
    const data = express.Router();
    data.use((req, res, next) => this.gate(req, res, next));
    data.get('/devices/queries/devices/v1', (req, res) => this.queryDevices(req, res));
    data.get('/devices/entities/devices/v2', (req, res) => this.deviceEntities(req, res));
    data.post('/humio/api/v1/repositories/:repo/queryjobs', express.json({ limit: '1mb' }), (req, res) => this.createJob(req, res));
    data.get('/humio/api/v1/repositories/:repo/queryjobs/:id', (req, res) => this.pollJob(req, res));
    data.delete('/humio/api/v1/repositories/:repo/queryjobs/:id', (req, res) => this.stopJob(req, res));
    app.use(data);
    app.use((_req: Request, res: Response) => falconError(res, 404, 'Not Found'));
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      falconError(res, 400, `invalid request body: ${error instanceof Error ? error.message : 'unreadable'}`);
    });
    return app;
  }

  private token(req: Request, res: Response): void {
    this.tokenRequests += 1;
    const form: Record<string, unknown> = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
    if (form.client_id !== this.options.clientId || form.client_secret !== this.options.clientSecret) {
      falconError(res, 401, 'access denied, invalid client');
      return;
    }
    const lifetime = this.options.tokenLifetimeSeconds ?? 1799;
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, this.now() + lifetime * 1_000);
    res.status(201).json({ access_token: token, expires_in: lifetime, token_type: 'bearer' });
  }

  /** Records every data request, plays a queued failure, then checks the bearer token. */
  private gate(req: Request, res: Response, next: NextFunction): void {
    const record: FalconRequestRecord = { method: req.method, path: req.path, status: 0 };
    this.requests.push(record);
    res.locals.record = record;
    if (req.path === '/devices/queries/devices/v1') {
      try {
        record.fql = readDeviceFilter(String(req.query.filter ?? ''));
      } catch (error) {
        record.error = error instanceof Error ? error.message : String(error);
      }
    }
    const failure = this.nextFailure();
    if (failure) {
      record.status = answerFailure(failure, req, res, this.now());
      return;
    }
    const match = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '');
    const expiresAt = match?.[1] ? this.tokens.get(match[1]) : undefined;
    if (expiresAt === undefined || this.now() >= expiresAt) {
      record.status = 401;
      falconError(res, 401, 'access denied, authorization failed');
      return;
    }
    next();
  }

  private queryDevices(req: Request, res: Response): void {
    const record = res.locals.record as FalconRequestRecord;
    if (!record.fql) {
      record.status = 400;
      falconError(res, 400, `Invalid filter: ${record.error ?? 'missing'}`);
      return;
    }
    const terms = record.fql;
    const nowMs = this.now();
    const matches = this.options.scenario.hosts.filter((host) =>
      terms.some((term) => {
        const device = deviceRecord(host, nowMs);
        // A quoted FQL value matches loosely: case-insensitive and partial.
        const value = String(device[term.property] ?? '').toLowerCase();
        return value.includes(term.value.toLowerCase());
      }),
    );
    const limit = Math.min(5_000, Number(req.query.limit ?? 100));
    const offset = Number(req.query.offset ?? 0);
    const ids = matches.map(aidOf);
    record.status = 200;
    res.json(falconEnvelope(ids.slice(offset, offset + limit), [], { offset, limit, total: ids.length }));
  }

  private deviceEntities(req: Request, res: Response): void {
    const record = res.locals.record as FalconRequestRecord;
    const raw = req.query.ids;
    const ids = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String);
    const nowMs = this.now();
    const found = ids.flatMap((id) => this.options.scenario.hosts.filter((host) => aidOf(host) === id).map((host) => deviceRecord(host, nowMs)));
    const missing = ids.filter((id) => !found.some((device) => device.device_id === id));
    record.status = found.length > 0 || ids.length === 0 ? 200 : 404;
    res.status(record.status).json(falconEnvelope(found, missing.map((id) => ({ code: 404, message: `Device not found: ${id}` }))));
  }

  private createJob(req: Request, res: Response): void {
    const record = res.locals.record as FalconRequestRecord;
    if (req.params.repo !== (this.options.repository ?? 'search-all')) {
      record.status = 404;
      falconError(res, 404, `repository ${String(req.params.repo)} not found`);
      return;
    }
    const body = JobBodySchema.safeParse(req.body);
    try {
      if (!body.success) throw new CqlSyntaxError('the body must carry queryString and start');
      record.query = readJobQuery(body.data.queryString);
      const maxJoinLimit = this.options.maxJoinLimit ?? 200_000;
      if (record.query.join && record.query.join.limit > maxJoinLimit) {
        throw new CqlSyntaxError(`join() limit ${record.query.join.limit} exceeds MAX_JOIN_LIMIT ${maxJoinLimit}`);
      }
      const id = `P9-${randomBytes(12).toString('hex')}`;
      const startMs = epochMs(body.data.start, 0);
      this.jobs.set(id, { query: record.query, startMs, endMs: epochMs(body.data.end, this.now()), polls: 0 });
      record.status = 200;
      res.json({ id, hashedQueryOnView: randomBytes(16).toString('hex') });
    } catch (error) {
      record.status = 400;
      record.error = error instanceof Error ? error.message : String(error);
      falconError(res, 400, `Query could not be parsed: ${record.error}`);
    }
  }

  private pollJob(req: Request, res: Response): void {
    const record = res.locals.record as FalconRequestRecord;
    const job = this.jobs.get(String(req.params.id));
    if (!job) {
      record.status = 404;
      falconError(res, 404, 'query job not found');
      return;
    }
    job.polls += 1;
    const done = job.polls > (this.options.pollsBeforeDone ?? 1);
    const events = done
      ? runJob(job.query, { scenario: this.options.scenario, startMs: job.startMs, endMs: job.endMs, nowMs: this.now(), ingestionDelayMs: this.ingestionDelayMs, stampsIngested: this.options.stampsIngested ?? true })
      : [];
    record.status = 200;
    res.json({
      done,
      cancelled: false,
      events,
      metaData: { pollAfter: 50, eventCount: events.length, isAggregate: job.query.kind === 'aggregate', processedEvents: events.length, workDone: done ? 1 : 0, totalWork: 1 },
      warnings: [],
    });
  }

  private stopJob(req: Request, res: Response): void {
    const record = res.locals.record as FalconRequestRecord;
    record.status = this.jobs.delete(String(req.params.id)) ? 204 : 404;
    if (record.status === 204) res.status(204).end();
    else falconError(res, 404, 'query job not found');
  }
}

/** Starts the fake on 127.0.0.1; `close()` stops it. */
export function startFakeCrowdstrike(options: FakeCrowdstrikeOptions): Promise<FakeCrowdstrike> {
  return new FakeCrowdstrike(options).start();
}
