import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import * as z from 'zod';
import type { Scenario } from '../../../dev/scenario/index.js';
import { VendorFake } from '../../../dev/vendor-fake.js';
import { executeHuntingQuery } from './hunting-engine.js';
import { KqlSyntaxError } from './kql-lexer.js';
import { readHuntingQuery, type HuntingQuery } from './kql-reader.js';
import { toTicks } from './mde-rows.js';

export interface FakeMdeOptions {
  scenario: Scenario;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** The fake only ever listens on loopback. */
  host?: '127.0.0.1';
  /** Telemetry latency: an event is visible once now >= time + delay. Default 0. */
  ingestionDelayMs?: number;
  /** How long every hunting query takes to answer, as on a busy tenant. Default 0. */
  answerDelayMs?: number;
  /** `expires_in` of issued tokens. Default 3599, as Entra answers. */
  tokenLifetimeSeconds?: number;
  now?: () => number;
}

/** A scripted answer for the next hunting request, instead of running the query. */
export type ScriptedResponse =
  /** A Graph error envelope with this status (429 may carry `Retry-After`). */
  | { status: number; retryAfterSeconds?: number; code?: string; message?: string }
  /** A 200 whose body is HTML (`garbage`) or JSON cut in the middle (`truncated`). */
  | { body: 'garbage' | 'truncated' }
  /** No answer for this long (longer than the client's timeout), then a 504. */
  | { hangMs: number }
  /** The connection is closed without an answer. */
  | { drop: true };

export interface HuntingRequestRecord {
  /** When the request arrived (epoch ms). */
  at: number;
  raw: string;
  timespan?: string;
  /** The query as the fake read it; absent when it could not be read. */
  query?: HuntingQuery;
  status: number;
  error?: string;
}

const GRAPH_CODES: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'InvalidAuthenticationToken',
  403: 'Forbidden',
  404: 'NotFound',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};
const DEFAULT_WINDOW_MS = 30 * 86_400_000;
const HuntingBodySchema = z.object({ Query: z.string().min(1), Timespan: z.string().optional() });

function graphError(res: Response, status: number, message: string, code = GRAPH_CODES[status] ?? 'UnknownError'): void {
  res.status(status).json({ error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': randomBytes(8).toString('hex') } } });
}

/** Loopback fake of the Entra token endpoint and Graph `runHuntingQuery`, speaking their wire formats. */
export class FakeMde extends VendorFake<ScriptedResponse> {
  readonly requests: HuntingRequestRecord[] = [];
  tokenRequests = 0;
  /** When each token request arrived (epoch ms). */
  readonly tokenRequestTimes: number[] = [];
  private credentialsRefused = false;
  ingestionDelayMs: number;
  private readonly tokens = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: FakeMdeOptions) {
    super(options.port);
    this.ingestionDelayMs = options.ingestionDelayMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  /** Every issued token stops working, as when a secret is rotated or a token revoked. */
  revokeTokens(): void {
    this.tokens.clear();
  }

  /** The app's secret is refused (expired or rotated): issued tokens stop working and no new one is given. */
  refuseCredentials(): void {
    this.credentialsRefused = true;
    this.tokens.clear();
  }

  /** The secret is valid again, as when an admin renews it in the tenant. */
  acceptCredentials(): void {
    this.credentialsRefused = false;
  }

  protected app() {
    const app = express();
    app.post('/:tenant/oauth2/v2.0/token', express.urlencoded({ extended: false }), (req, res) => this.token(req, res));
    app.post('/v1.0/security/runHuntingQuery', express.json({ limit: '1mb' }), (req, res) => {
      const delayMs = this.options.answerDelayMs ?? 0;
      if (delayMs > 0) setTimeout(() => this.hunt(req, res), delayMs).unref();
      else this.hunt(req, res);
    });
    app.use((_req: Request, res: Response) => graphError(res, 404, 'Resource not found for the segment.'));
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      graphError(res, 400, `Invalid request body: ${error instanceof Error ? error.message : 'unreadable'}`, 'InvalidRequestBody');
    });
    return app;
  }

  private token(req: Request, res: Response): void {
    this.tokenRequests += 1;
    this.tokenRequestTimes.push(Date.now());
    const form: Record<string, unknown> = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
    if (req.params.tenant !== this.options.tenantId) {
      res.status(400).json({ error: 'invalid_request', error_description: `AADSTS90002: Tenant '${String(req.params.tenant)}' not found.` });
      return;
    }
    if (form.grant_type !== 'client_credentials' || form.scope !== 'https://graph.microsoft.com/.default') {
      res.status(400).json({ error: 'invalid_request', error_description: 'AADSTS900144: expected client_credentials for the Graph .default scope.' });
      return;
    }
    if (this.credentialsRefused || form.client_id !== this.options.clientId || form.client_secret !== this.options.clientSecret) {
      res.status(401).json({ error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
      return;
    }
    const lifetime = this.options.tokenLifetimeSeconds ?? 3599;
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, this.now() + lifetime * 1_000);
    res.json({ token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token });
  }

  private authorized(req: Request): boolean {
    const match = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '');
    const expiresAt = match?.[1] ? this.tokens.get(match[1]) : undefined;
    return expiresAt !== undefined && this.now() < expiresAt;
  }

  private window(timespan: string | undefined): { from: bigint; to: bigint } {
    if (timespan === undefined) {
      const now = BigInt(this.now()) * 10_000n;
      return { from: now - BigInt(DEFAULT_WINDOW_MS) * 10_000n, to: now + 1n };
    }
    const [from, to, ...extra] = timespan.split('/');
    if (!from || !to || extra.length > 0) throw new KqlSyntaxError(`the fake reads only start/end Timespans, got ${timespan}`);
    return { from: toTicks(from), to: toTicks(to) };
  }

  private hunt(req: Request, res: Response): void {
    const body = HuntingBodySchema.safeParse(req.body);
    const record: HuntingRequestRecord = { at: Date.now(), raw: body.success ? body.data.Query : '', timespan: body.data?.Timespan, status: 0 };
    this.requests.push(record);
    try {
      record.query = readHuntingQuery(record.raw);
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
    }
    const scripted = this.nextFailure();
    if (scripted) {
      this.answerScripted(scripted, record, req, res);
      return;
    }
    if (!this.authorized(req)) {
      record.status = 401;
      graphError(res, 401, 'Access token validation failure. Invalid audience or expired token.');
      return;
    }
    if (!body.success) {
      record.status = 400;
      graphError(res, 400, 'The request body must carry the KQL in Query.', 'MissingRequiredParameter');
      return;
    }
    try {
      if (!record.query) throw new KqlSyntaxError(record.error ?? 'unreadable query');
      const result = executeHuntingQuery(record.query, {
        scenario: this.options.scenario,
        nowMs: this.now(),
        ingestionDelayMs: this.ingestionDelayMs,
        window: this.window(body.data.Timespan),
      });
      record.status = 200;
      res.json({ '@odata.context': `${this.url}/v1.0/$metadata#microsoft.graph.security.huntingQueryResults`, ...result });
    } catch (error) {
      record.status = 400;
      record.error = error instanceof Error ? error.message : String(error);
      graphError(res, 400, `Query could not be parsed: ${record.error}`);
    }
  }

  private answerScripted(scripted: ScriptedResponse, record: HuntingRequestRecord, req: Request, res: Response): void {
    if ('drop' in scripted) {
      record.status = 0;
      req.socket.destroy();
      return;
    }
    if ('hangMs' in scripted) {
      record.status = 504;
      setTimeout(() => {
        if (!res.headersSent && !req.socket.destroyed) graphError(res, 504, 'Gateway timeout from the fake.');
      }, scripted.hangMs).unref();
      return;
    }
    if ('body' in scripted) {
      record.status = 200;
      if (scripted.body === 'garbage') res.status(200).type('text/html').send('<html><body>Service Unavailable</body></html>');
      else res.status(200).type('application/json').send('{"@odata.context":"x","schema":[{"name":"Timestamp","type":"Da');
      return;
    }
    record.status = scripted.status;
    if (scripted.retryAfterSeconds !== undefined) res.set('Retry-After', String(scripted.retryAfterSeconds));
    graphError(res, scripted.status, scripted.message ?? `Scripted ${scripted.status} from the fake.`, scripted.code);
  }
}

/** Starts the fake on 127.0.0.1; `close()` stops it. */
export function startFakeMde(options: FakeMdeOptions): Promise<FakeMde> {
  return new FakeMde(options).start();
}
