import express, { type NextFunction, type Request, type Response } from 'express';
import { type Scenario, searchableAt } from '../../../dev/scenario/index.js';
import { VendorFake } from '../../../dev/vendor-fake.js';
import { answerAfterHang, type VendorFailure } from '../../../dev/vendor-failure.js';
import { FortiFilterError, matchesFilters, parseFortiFilter, valuesOf, type FortiFilter } from './forti-filter.js';
import { recordsJson, toTrafficRecord, type RecordOptions, type TrafficRecord } from './traffic-records.js';

export interface FakeFortigateOptions {
  scenario: Scenario;
  /** The REST API administrator key the fake accepts as `Authorization: Bearer`. */
  token: string;
  /** VDOMs that exist. Default ["root"]. */
  vdoms?: readonly string[];
  /** How `eventtime` is written. Default ns (FortiOS 6.2 and later). */
  eventtimeUnit?: RecordOptions['eventtimeUnit'];
  /** Default 0: an ephemeral port. */
  port?: number;
  /** FortiAnalyzer-backed reads: progress checks of a page that still find it incomplete. Default 1. */
  checksUntilDone?: number;
  /** Telemetry latency: a session is logged once now >= time + delay. Default 0. */
  ingestionDelayMs?: number;
  now?: () => number;
}

export interface FortigateRequestRecord {
  path: string;
  query: Record<string, string | string[]>;
  status: number;
  /** The `filter` parameters as the fake read them; absent when they could not be read. */
  filters?: FortiFilter[];
  error?: string;
}

interface AnalyzerSession {
  filterKey: string;
  checks: Map<string, number>;
}

const DEVICES = new Set(['disk', 'memory', 'fortianalyzer']);
const FORTIANALYZER_MAX_ROWS = 1_024;
/** Without a timestamp filter the log API shows about the last hour. */
const DEFAULT_WINDOW_MS = 3_600_000;
const BUILD = { serial: 'FGT60FTK2209A1B2', version: 'v7.4.4', build: 2662 };

/**
 * Loopback fake of the FortiOS log API's `GET /api/v2/log/{disk|memory|fortianalyzer}/traffic/forward`: the
 * `results` envelope, `start`/`rows` paging, and for FortiAnalyzer the `session_id` + `completed` progress flow.
 * Filters are read with a real tokenizer for FortiOS filter syntax; refusals come as FortiOS error envelopes.
 */
export class FakeFortigate extends VendorFake<VendorFailure> {
  readonly requests: FortigateRequestRecord[] = [];
  ingestionDelayMs: number;
  private readonly sessions = new Map<number, AnalyzerSession>();
  private readonly now: () => number;
  private nextSession = 4_100;

  constructor(private readonly options: FakeFortigateOptions) {
    super(options.port);
    this.ingestionDelayMs = options.ingestionDelayMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  /** API requests served so far; every one is a data call (the key is static, there is no token endpoint). */
  requestCount(): number {
    return this.requests.length;
  }

  /** Firewalls are queried by address only: no host name ever reaches a query. */
  queriedHostNames(): string[] {
    return [];
  }

  /** Every source address the fake read out of the filters it was sent. */
  queriedAddresses(): string[] {
    return this.requests.flatMap((request) => (request.filters ? valuesOf(request.filters, 'srcip').map((term) => term.value) : []));
  }

  protected app() {
    const app = express();
    app.get('/api/v2/log/:device/traffic/:subtype', (req, res) => this.logs(req, res));
    app.use((req: Request, res: Response) => this.error(res, 404, req.path));
    app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => this.error(res, 400, req.path, error instanceof Error ? error.message : undefined));
    return app;
  }

  private error(res: Response, status: number, path: string, message?: string): void {
    res.status(status).json({ http_method: 'GET', status: 'error', http_status: status, path, ...(message ? { message } : {}), ...BUILD });
  }

  private logs(req: Request, res: Response): void {
    const query = req.query as Record<string, string | string[]>;
    const record: FortigateRequestRecord = { path: req.path, query, status: 200 };
    this.requests.push(record);
    const failure = this.nextFailure();
    if (failure) {
      record.status = this.fail(failure, req, res);
      return;
    }
    if (req.get('authorization') !== `Bearer ${this.options.token}`) {
      record.status = 401;
      res.status(401).type('text/html').send('<html><body><h1>401 Unauthorized</h1></body></html>');
      return;
    }
    const device = String(req.params.device);
    const vdom = typeof query.vdom === 'string' ? query.vdom : 'root';
    if (!DEVICES.has(device) || req.params.subtype !== 'forward') {
      record.status = 404;
      this.error(res, 404, req.path);
      return;
    }
    if (!(this.options.vdoms ?? ['root']).includes(vdom)) {
      record.status = 403;
      this.error(res, 403, req.path, `VDOM ${vdom} is not accessible`);
      return;
    }
    const rows = Number(query.rows ?? 20);
    const start = Number(query.start ?? 0);
    if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(start) || start < 0) {
      record.status = 400;
      this.error(res, 400, req.path, 'rows and start must be non-negative integers');
      return;
    }
    try {
      const texts = query.filter === undefined ? [] : Array.isArray(query.filter) ? query.filter : [query.filter];
      record.filters = texts.map(parseFortiFilter);
    } catch (error) {
      if (!(error instanceof FortiFilterError)) throw error;
      record.status = 400;
      record.error = error.message;
      this.error(res, 400, req.path, `Invalid filter: ${record.error}`);
      return;
    }
    if (device === 'fortianalyzer') {
      this.analyzer(record, Math.min(rows, FORTIANALYZER_MAX_ROWS), start, res);
      return;
    }
    this.send(res, vdom, { results: this.select(record.filters).slice(start, start + rows) });
  }

  private fail(failure: VendorFailure, req: Request, res: Response): number {
    switch (failure.kind) {
      case 'unauthorized':
        res.status(401).type('text/html').send('<html><body><h1>401 Unauthorized</h1></body></html>');
        return 401;
      case 'rate_limited':
        // FortiOS documents no API throttle; the fake answers as a rate-limiting proxy in front of it would.
        res.set('Retry-After', String(failure.retryAfterSeconds));
        this.error(res, 429, req.path, 'Too Many Requests');
        return 429;
      case 'server_error':
        this.error(res, 500, req.path, 'Internal Server Error');
        return 500;
      case 'timeout':
        answerAfterHang(req, res, () => this.error(res, 504, req.path));
        return 504;
      case 'garbage':
        res.status(200).type('text/html').send('<html><head><title>FortiGate</title></head><body>Please login</body></html>');
        return 200;
      case 'truncated':
        res.status(200).type('application/json').send('{"http_method":"GET","results":[{"date":"2026-11-29","eventtime":17644');
        return 200;
    }
  }

  private send(res: Response, vdom: string, body: Record<string, unknown>): void {
    res
      .status(200)
      .type('application/json')
      .send(recordsJson({ http_method: 'GET', ...body, vdom, path: 'log', name: 'traffic/forward', status: 'success', ...BUILD }));
  }

  /** The asked records, newest first as the log viewer shows them. */
  private select(filters: readonly FortiFilter[]): TrafficRecord[] {
    const now = this.now();
    const bounds = valuesOf(filters, '_metadata.timestamp');
    const lower = bounds.filter((term) => term.op.startsWith('>')).map((term) => Number(term.value));
    const upper = bounds.filter((term) => term.op.startsWith('<')).map((term) => Number(term.value) + 1);
    const from = lower.length > 0 ? Math.max(...lower) : now - DEFAULT_WINDOW_MS;
    const to = upper.length > 0 ? Math.min(...upper) : now;
    const options = { eventtimeUnit: this.options.eventtimeUnit ?? 'ns' };
    return searchableAt(this.options.scenario.connections(new Date(from), new Date(Math.max(from, to))), this.ingestionDelayMs, now)
      .map(({ connection }) => toTrafficRecord(connection, options))
      .filter(({ filterable }) => matchesFilters(filters, filterable))
      .map(({ record }) => record)
      .reverse();
  }

  /** FortiAnalyzer: a request without session_id opens one; each page is incomplete for a check, then served. */
  private analyzer(record: FortigateRequestRecord, rows: number, start: number, res: Response): void {
    const vdom = typeof record.query.vdom === 'string' ? record.query.vdom : 'root';
    const filterKey = JSON.stringify(record.filters);
    const sessionParam = record.query.session_id;
    if (sessionParam === undefined) {
      const id = this.nextSession++;
      this.sessions.set(id, { filterKey, checks: new Map() });
      this.send(res, vdom, { session_id: id, completed: 0, total_lines: 0, results: [] });
      return;
    }
    const session = this.sessions.get(Number(sessionParam));
    if (!session || session.filterKey !== filterKey) {
      record.status = 400;
      this.error(res, 400, record.path, `unknown session_id ${String(sessionParam)} for these filters`);
      return;
    }
    const pageKey = `${start}:${rows}`;
    const checks = (session.checks.get(pageKey) ?? 0) + 1;
    session.checks.set(pageKey, checks);
    if (checks <= (this.options.checksUntilDone ?? 1)) {
      this.send(res, vdom, { session_id: Number(sessionParam), completed: 40, total_lines: 0, results: [] });
      return;
    }
    const all = this.select(record.filters ?? []);
    this.send(res, vdom, { session_id: Number(sessionParam), completed: 100, total_lines: all.length, results: all.slice(start, start + rows) });
  }
}

/** Starts the fake on 127.0.0.1; `close()` stops it. */
export function startFakeFortigate(options: FakeFortigateOptions): Promise<FakeFortigate> {
  return new FakeFortigate(options).start();
}
