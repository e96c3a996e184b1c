import express, { type NextFunction, type Request, type Response } from 'express';
import { type Scenario, searchableAt } from '../../../dev/scenario/index.js';
import { VendorFake } from '../../../dev/vendor-fake.js';
import { answerAfterHang, type VendorFailure } from '../../../dev/vendor-failure.js';
import { runSearch, validateCommands, type ResultRow } from './spl-engine.js';
import { SplSyntaxError } from './spl-lexer.js';
import { parseSpl, type SplCommand, type SplExpr } from './spl-parser.js';
import { toSysmonEvent, type IndexLocation } from './sysmon-events.js';

export interface FakeSplunkOptions {
  scenario: Scenario;
  /** The authentication token the fake accepts, as `Bearer` or `Splunk`. */
  token: string;
  /** Where the fake "indexed" the Sysmon events. Default sysmon / XmlWinEventLog:Microsoft-Windows-Sysmon/Operational. */
  index?: string;
  sourcetype?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** First status checks of each job answered 204 No Content, empty body, as splunkd does for a queued job. Default 0. */
  notReadyChecks?: number;
  /** Status checks that still find a new job running, before it is DONE (after the not-ready ones). Default 1. */
  checksUntilDone?: number;
  /** Telemetry latency: an event is searchable once now >= time + delay. Default 0. */
  ingestionDelayMs?: number;
  now?: () => number;
}

export interface SplunkRequestRecord {
  method: string;
  path: string;
  status: number;
  /** The search of a job-creation request, as sent. */
  search?: string;
  /** That search as the fake read it; absent when it could not be read. */
  commands?: SplCommand[];
  error?: string;
}

interface Job {
  sid: string;
  checks: number;
  results: ResultRow[];
  /** Set when the job ends FAILED with this message. */
  failure?: string;
}

const CONCURRENCY_MESSAGE =
  'Search not executed: The maximum number of concurrent historical searches on this instance has been reached., ' +
  'concurrency_category="historical", concurrency_context="instance-wide", current_concurrency=6, concurrency_limit=6';

function messages(res: Response, status: number, type: string, text: string): void {
  res.status(status).json({ messages: [{ type, text }] });
}

/** The string values compared with `Computer` (or a function of it) in the search's `where` filters. */
function hostNamesIn(commands: readonly SplCommand[]): string[] {
  const usesComputer = (expr: SplExpr): boolean =>
    (expr.kind === 'field' && expr.name === 'Computer') || (expr.kind === 'call' && expr.args.some(usesComputer));
  const names: string[] = [];
  const visit = (expr: SplExpr): void => {
    if (expr.kind === 'compare') {
      if (usesComputer(expr.left) && expr.right.kind === 'string') names.push(expr.right.value);
      else if (usesComputer(expr.right) && expr.left.kind === 'string') names.push(expr.left.value);
    } else if (expr.kind === 'and' || expr.kind === 'or') {
      visit(expr.left);
      visit(expr.right);
    } else if (expr.kind === 'not') {
      visit(expr.operand);
    }
  };
  for (const command of commands) if (command.kind === 'where') visit(command.predicate);
  return names;
}

const EPOCH = /^\d{1,12}(?:\.\d{1,6})?$/;

/**
 * Loopback fake of splunkd's search jobs REST API (v1 and v2 paths): create a job, poll its dispatchState, page its
 * results, delete it; errors in splunkd's `{"messages":[...]}` envelope. Searches are read with a real SPL
 * tokenizer and run over the scenario's connections as Sysmon Event ID 3 events.
 */
export class FakeSplunk extends VendorFake<VendorFailure> {
  readonly requests: SplunkRequestRecord[] = [];
  ingestionDelayMs: number;
  private readonly jobFailures: string[] = [];
  private readonly jobs = new Map<string, Job>();
  private readonly location: IndexLocation;
  private readonly now: () => number;
  private sequence = 0;

  constructor(private readonly options: FakeSplunkOptions) {
    super(options.port);
    this.ingestionDelayMs = options.ingestionDelayMs ?? 0;
    this.now = options.now ?? Date.now;
    this.location = {
      index: options.index ?? 'sysmon',
      sourcetype: options.sourcetype ?? 'XmlWinEventLog:Microsoft-Windows-Sysmon/Operational',
    };
  }

  /** The next jobs created end FAILED with these messages, in order, as a search that fails at run time does. */
  failNextJob(...messages: string[]): void {
    this.jobFailures.push(...messages);
  }

  /** API requests served so far; every splunkd route here is a data call (no token endpoint). */
  requestCount(): number {
    return this.requests.length;
  }

  /** Every host name the fake read out of the searches it was sent. */
  queriedHostNames(): string[] {
    return this.requests.flatMap((request) => (request.commands ? hostNamesIn(request.commands) : []));
  }

  /** Jobs created and not deleted. */
  openJobs(): string[] {
    return [...this.jobs.keys()];
  }

  protected app() {
    const app = express();
    app.use((req, res, next) => this.gate(req, res, next));
    for (const prefix of ['/services/search/jobs', '/services/search/v2/jobs']) {
      app.post(prefix, express.urlencoded({ extended: false, limit: '1mb' }), (req, res) => this.create(req, res));
      app.get(`${prefix}/:sid`, (req, res) => this.status(req, res));
      app.get(`${prefix}/:sid/results`, (req, res) => this.results(req, res));
      app.delete(`${prefix}/:sid`, (req, res) => this.remove(req, res));
    }
    app.use((_req: Request, res: Response) => messages(res, 404, 'ERROR', 'Not Found'));
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      messages(res, 400, 'ERROR', error instanceof Error ? error.message : 'unreadable request');
    });
    return app;
  }

  private record(req: Request): SplunkRequestRecord {
    const record: SplunkRequestRecord = { method: req.method, path: req.path, status: 0 };
    this.requests.push(record);
    return record;
  }

  /** Scripted failures first, then authentication: every route is a data call. */
  private gate(req: Request, res: Response, next: NextFunction): void {
    const failure = this.nextFailure();
    if (failure) {
      this.record(req).status = this.fail(failure, req, res);
      return;
    }
    const match = /^(?:Bearer|Splunk) (\S+)$/.exec(req.get('authorization') ?? '');
    if (match?.[1] !== this.options.token) {
      this.record(req).status = 401;
      messages(res, 401, 'WARN', 'call not properly authenticated');
      return;
    }
    next();
  }

  private fail(failure: VendorFailure, req: Request, res: Response): number {
    switch (failure.kind) {
      case 'unauthorized':
        messages(res, 401, 'WARN', 'call not properly authenticated');
        return 401;
      case 'rate_limited':
        // splunkd documents no retry hint; the fake adds Retry-After so clients that honour it can be checked.
        res.set('Retry-After', String(failure.retryAfterSeconds));
        messages(res, 503, 'FATAL', CONCURRENCY_MESSAGE);
        return 503;
      case 'server_error':
        messages(res, 500, 'ERROR', 'Internal Server Error');
        return 500;
      case 'timeout':
        answerAfterHang(req, res, () => messages(res, 504, 'ERROR', 'Gateway Timeout'));
        return 504;
      case 'garbage':
        res.status(200).type('text/html').send('<html><head><title>Splunk</title></head><body>Loading...</body></html>');
        return 200;
      case 'truncated':
        res.status(200).type('application/json').send('{"preview":false,"init_offset":0,"messages":[],"results":[{"_time":"2026-');
        return 200;
    }
  }

  private create(req: Request, res: Response): void {
    const record = this.record(req);
    const form = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const { search, earliest_time: earliest, latest_time: latest } = form;
    if (typeof search !== 'string' || search.trim() === '') {
      record.status = 400;
      messages(res, 400, 'FATAL', 'Empty search.');
      return;
    }
    record.search = search;
    try {
      record.commands = parseSpl(search);
      validateCommands(record.commands);
    } catch (error) {
      if (!(error instanceof SplSyntaxError)) throw error;
      record.status = 400;
      record.error = error.message;
      messages(res, 400, 'FATAL', `Error in 'SearchParser': ${record.error}`);
      return;
    }
    if (typeof earliest !== 'string' || typeof latest !== 'string' || !EPOCH.test(earliest) || !EPOCH.test(latest)) {
      record.status = 400;
      messages(res, 400, 'FATAL', 'The fake reads only epoch-second earliest_time and latest_time.');
      return;
    }
    const from = Math.round(Number(earliest) * 1_000);
    const to = Math.round(Number(latest) * 1_000);
    const now = this.now();
    const events = searchableAt(this.options.scenario.connections(new Date(from), new Date(to)), this.ingestionDelayMs, now).map(({ connection, ingestedMs }) =>
      toSysmonEvent(connection, this.location, ingestedMs),
    );
    this.sequence += 1;
    const sid = `${Math.floor(now / 1_000)}.${this.sequence}`;
    this.jobs.set(sid, { sid, checks: 0, results: runSearch(record.commands, events), failure: this.jobFailures.shift() });
    record.status = 201;
    res.status(201).json({ sid });
  }

  private job(req: Request, res: Response, record: SplunkRequestRecord): Job | undefined {
    const job = this.jobs.get(String(req.params.sid));
    if (!job) {
      record.status = 404;
      messages(res, 404, 'FATAL', 'Unknown sid.');
    }
    return job;
  }

  private status(req: Request, res: Response): void {
    const record = this.record(req);
    const job = this.job(req, res, record);
    if (!job) return;
    job.checks += 1;
    const notReady = this.options.notReadyChecks ?? 0;
    if (job.checks <= notReady) {
      record.status = 204;
      res.status(204).end();
      return;
    }
    const done = job.checks - notReady > (this.options.checksUntilDone ?? 1);
    const failed = done && job.failure !== undefined;
    record.status = 200;
    res.json({
      links: {},
      origin: `${this.url}/services/search/jobs`,
      updated: new Date(this.now()).toISOString(),
      entry: [
        {
          name: 'search',
          id: `${this.url}/services/search/jobs/${job.sid}`,
          content: {
            sid: job.sid,
            dispatchState: failed ? 'FAILED' : done ? 'DONE' : 'RUNNING',
            isDone: done,
            isFailed: failed,
            doneProgress: done ? 1 : 0.5,
            resultCount: done && !failed ? job.results.length : 0,
            messages: failed ? [{ type: 'FATAL', text: job.failure }] : [],
          },
        },
      ],
      paging: { total: 1, perPage: 0, offset: 0 },
      messages: [],
    });
  }

  private results(req: Request, res: Response): void {
    const record = this.record(req);
    const job = this.job(req, res, record);
    if (!job) return;
    const offset = Number(req.query.offset ?? 0);
    const count = Number(req.query.count ?? 100);
    if (!Number.isInteger(offset) || !Number.isInteger(count) || offset < 0 || count < 0) {
      record.status = 400;
      messages(res, 400, 'ERROR', 'offset and count must be non-negative integers');
      return;
    }
    const page = job.results.slice(offset, count === 0 ? undefined : offset + count);
    record.status = 200;
    const fields = [...new Set(page.flatMap((row) => Object.keys(row)))].map((name) => ({ name }));
    res.json({ preview: false, init_offset: offset, messages: [], fields, results: page, highlighted: {} });
  }

  private remove(req: Request, res: Response): void {
    const record = this.record(req);
    const job = this.job(req, res, record);
    if (!job) return;
    this.jobs.delete(job.sid);
    record.status = 200;
    messages(res, 200, 'INFO', `Search job cancelled.`);
  }
}

/** Starts the fake on 127.0.0.1; `close()` stops it. */
export function startFakeSplunk(options: FakeSplunkOptions): Promise<FakeSplunk> {
  return new FakeSplunk(options).start();
}
