import express, { type NextFunction, type Request, type Response } from 'express';
import { XMLBuilder } from 'fast-xml-parser';
import { type Scenario, searchableAt } from '../../../dev/scenario/index.js';
import { VendorFake } from '../../../dev/vendor-fake.js';
import { answerAfterHang, type VendorFailure } from '../../../dev/vendor-failure.js';
import { PanFilterError, matchesFilter, parsePanFilter, valuesOf, type PanFilter } from './panos-filter.js';
import { localClock, toTrafficEntry, type TrafficEntry } from './traffic-entries.js';

export interface FakePanosOptions {
  scenario: Scenario;
  /** The API key the fake accepts in `X-PAN-KEY` (or the `key` parameter). */
  apiKey: string;
  /** The firewall's time zone: log times and query times are its wall-clock time. Default UTC. */
  timeZone?: string;
  /** Whether entries carry `high_res_timestamp` (PAN-OS 9.0 and later). Default true. */
  highResTimestamps?: boolean;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** `action=get` checks that still find a new job running, before it is FIN. Default 1. */
  checksUntilDone?: number;
  /** Telemetry latency: a session is logged once now >= time + delay. Default 0. */
  ingestionDelayMs?: number;
  now?: () => number;
}

export interface PanosRequestRecord {
  params: Record<string, string>;
  status: number;
  /** The `query` of a log request as the fake read it; absent when it could not be read. */
  filter?: PanFilter;
  error?: string;
}

interface LogJob {
  checks: number;
  entries: TrafficEntry[];
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true });
const HOUR_MS = 3_600_000;
const MAX_NLOGS = 5_000;

function xml(res: Response, status: number, response: Record<string, unknown>): void {
  res.status(status).type('application/xml').send(builder.build({ response }));
}

function apiError(res: Response, httpStatus: number, code: string | undefined, message: string): void {
  xml(res, httpStatus, { '@_status': 'error', ...(code ? { '@_code': code } : {}), result: { msg: message } });
}

/**
 * Loopback fake of the PAN-OS XML API's traffic-log retrieval: `type=log` enqueues a job, `action=get` reports ACT
 * then FIN with the entries (and deletes the job once read), `action=finish` deletes a job. Filters are read with a
 * real tokenizer for the Monitor-tab query syntax; errors come in the API's `<response status="error">` envelope.
 */
/** The contract's failures, and an `<response status="error">` with the API's own code and message. */
type PanosFailure = VendorFailure | { kind: 'api_error'; code: string; message: string };

export class FakePanos extends VendorFake<PanosFailure> {
  readonly requests: PanosRequestRecord[] = [];
  ingestionDelayMs: number;
  private readonly jobs = new Map<string, LogJob>();
  private readonly timeZone: string;
  private readonly now: () => number;
  private nextJob = 1;

  constructor(private readonly options: FakePanosOptions) {
    super(options.port);
    this.ingestionDelayMs = options.ingestionDelayMs ?? 0;
    this.timeZone = options.timeZone ?? 'UTC';
    this.now = options.now ?? Date.now;
  }

  /** The next request gets a 200 `<response status="error" code=..>` with this PAN-OS error code and message. */
  failNextWith(code: string, message: string): void {
    this.failNext({ kind: 'api_error', code, message });
  }

  /** API requests served so far; every one is a data call (the key is static, there is no token endpoint). */
  requestCount(): number {
    return this.requests.length;
  }

  /** Firewalls are queried by address only: no host name ever reaches a query. */
  queriedHostNames(): string[] {
    return [];
  }

  /** Every source address the fake read out of the log queries it was sent. */
  queriedAddresses(): string[] {
    return this.requests.flatMap((request) => (request.filter ? valuesOf(request.filter, 'addr.src') : []));
  }

  /** Jobs enqueued and neither read to the end nor finished. */
  openJobs(): string[] {
    return [...this.jobs.keys()];
  }

  protected app() {
    const app = express();
    app.all('/api', express.urlencoded({ extended: false, limit: '1mb' }), (req, res) => this.api(req, res));
    app.use((_req: Request, res: Response) => apiError(res, 404, undefined, 'Not found'));
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      apiError(res, 400, '400', error instanceof Error ? error.message : 'unreadable request');
    });
    return app;
  }

  private api(req: Request, res: Response): void {
    const params: Record<string, string> = {};
    for (const source of [req.query, req.body]) {
      if (typeof source !== 'object' || source === null) continue;
      for (const [name, value] of Object.entries(source as Record<string, unknown>)) if (typeof value === 'string') params[name] = value;
    }
    const record: PanosRequestRecord = { params, status: 200 };
    this.requests.push(record);
    const failure = this.nextFailure();
    if (failure) {
      record.status = this.fail(failure, req, res);
      return;
    }
    if ((req.get('x-pan-key') ?? params.key) !== this.options.apiKey) {
      record.status = 403;
      apiError(res, 403, '403', 'Invalid Credential');
      return;
    }
    if (params.type !== 'log') {
      apiError(res, 200, '1', 'Unknown command: the fake serves type=log only');
      return;
    }
    if (params.action === 'get') return this.get(params['job-id'] ?? '', res);
    if (params.action === 'finish') return this.finish(params['job-id'] ?? '', res);
    this.enqueue(params, record, res);
  }

  private fail(failure: PanosFailure, req: Request, res: Response): number {
    switch (failure.kind) {
      case 'api_error':
        apiError(res, 200, failure.code, failure.message);
        return 200;
      case 'unauthorized':
        apiError(res, 403, '403', 'Invalid Credential');
        return 403;
      case 'rate_limited':
        // PAN-OS documents no API throttle; the fake answers as a rate-limiting proxy in front of it would.
        res.set('Retry-After', String(failure.retryAfterSeconds));
        apiError(res, 429, undefined, 'Too many requests');
        return 429;
      case 'server_error':
        apiError(res, 500, '5', 'Internal error');
        return 500;
      case 'timeout':
        answerAfterHang(req, res, () => apiError(res, 504, undefined, 'Gateway timeout'));
        return 504;
      case 'garbage':
        res.status(200).type('text/html').send('<html><head><title>GlobalProtect Portal</title></head><body>Login</body></html>');
        return 200;
      case 'truncated':
        res.status(200).type('application/xml').send('<response status="success"><result><job><status>FIN</status></job><log><logs count="3"');
        return 200;
    }
  }

  private enqueue(params: Record<string, string>, record: PanosRequestRecord, res: Response): void {
    if (params['log-type'] !== 'traffic') {
      apiError(res, 200, '400', 'the fake serves log-type=traffic only');
      return;
    }
    const nlogs = Number(params.nlogs ?? 20);
    const skip = Number(params.skip ?? 0);
    if (!Number.isInteger(nlogs) || nlogs < 1 || nlogs > MAX_NLOGS || !Number.isInteger(skip) || skip < 0) {
      apiError(res, 200, '400', `nlogs must be 1-${MAX_NLOGS} and skip a non-negative integer`);
      return;
    }
    try {
      record.filter = parsePanFilter(params.query ?? '');
    } catch (error) {
      if (!(error instanceof PanFilterError)) throw error;
      record.error = error.message;
      apiError(res, 200, '400', `Invalid query: ${record.error}`);
      return;
    }
    const entries = this.select(record.filter, params.dir === 'forward');
    const id = String(this.nextJob++);
    this.jobs.set(id, { checks: 0, entries: entries.slice(skip, skip + nlogs) });
    xml(res, 200, { '@_status': 'success', '@_code': '19', result: { msg: { line: `query job enqueued with jobid ${id}` }, job: id } });
  }

  /** Local wall-clock text read back as an instant, to the hour: the filter itself then decides to the second. */
  private approximateInstant(text: string): number {
    const [date = '', time = ''] = text.split(' ');
    const [year, month, day] = date.split('/').map(Number);
    const [hour, minute, second] = time.split(':').map(Number);
    const asUtc = Date.UTC(year ?? 1970, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0, second ?? 0);
    return asUtc - localClock(asUtc, this.timeZone).offsetMinutes * 60_000;
  }

  private select(filter: PanFilter, forward: boolean): TrafficEntry[] {
    const now = this.now();
    const bounds = valuesOf(filter, 'receive_time').map((text) => this.approximateInstant(text));
    const from = bounds.length > 0 ? Math.min(...bounds) - HOUR_MS : now - 24 * HOUR_MS;
    const to = bounds.length > 1 ? Math.max(...bounds) + HOUR_MS : now;
    const options = { timeZone: this.timeZone, highResTimestamps: this.options.highResTimestamps ?? true };
    const entries = searchableAt(this.options.scenario.connections(new Date(from), new Date(to)), this.ingestionDelayMs, now)
      .map(({ connection, ingestedMs }) => toTrafficEntry(connection, options, ingestedMs))
      .filter(({ filterable }) => matchesFilter(filter, filterable))
      .map(({ entry }) => entry);
    // The API returns the newest first unless dir=forward asks for the oldest first.
    return forward ? entries : entries.reverse();
  }

  private get(id: string, res: Response): void {
    const job = this.jobs.get(id);
    if (!job) {
      apiError(res, 200, '400', `Job ${id} not found`);
      return;
    }
    job.checks += 1;
    const jobStatus = { tenq: '10:00:00', tdeq: '10:00:00', tlast: '10:00:01', id };
    if (job.checks <= (this.options.checksUntilDone ?? 1)) {
      xml(res, 200, { '@_status': 'success', result: { job: { ...jobStatus, status: 'ACT' }, log: { logs: { '@_count': '0', '@_progress': '40' } } } });
      return;
    }
    // A job whose logs were read to the end is deleted, as the API does.
    this.jobs.delete(id);
    const logs = { '@_count': String(job.entries.length), '@_progress': '100', entry: job.entries.map((entry, index) => ({ '@_logid': String(index + 1), ...entry })) };
    xml(res, 200, { '@_status': 'success', result: { job: { ...jobStatus, status: 'FIN' }, log: { logs } } });
  }

  private finish(id: string, res: Response): void {
    this.jobs.delete(id);
    xml(res, 200, { '@_status': 'success', result: { msg: { line: `job ${id} finished` } } });
  }
}

/** Starts the fake on 127.0.0.1; `close()` stops it. */
export function startFakePanos(options: FakePanosOptions): Promise<FakePanos> {
  return new FakePanos(options).start();
}
