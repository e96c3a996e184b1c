import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { LoopbackServer } from '../src/dev/loopback-server.js';

/**
 * A loopback proxy that shows a scenario which kinds of request are in flight behind it (so a kill lands inside one)
 * and can hold each kind longer (a busy service), without touching the service. `kindOf` names a request's kind from
 * its path and body, or leaves it uncounted.
 */
export class CountingProxy<Kind extends string> {
  readonly inFlight: Record<Kind, number>;
  readonly arrived: Record<Kind, number>;
  /** Extra time each kind of request is held before it is passed on. */
  readonly holdMs: Record<Kind, number>;
  /** Why the service behind failed a request the proxy passed on (its socket error), as `<elapsed ms> <code>`. */
  readonly upstreamErrors: string[] = [];
  private readonly server = new LoopbackServer();
  private target: URL;

  private constructor(
    targetUrl: string,
    kinds: readonly Kind[],
    private readonly kindOf: (path: string, body: Buffer) => Kind | undefined,
  ) {
    this.target = new URL(targetUrl);
    const zero = () => Object.fromEntries(kinds.map((kind) => [kind, 0])) as Record<Kind, number>;
    this.inFlight = zero();
    this.arrived = zero();
    this.holdMs = zero();
  }

  static async start<Kind extends string>(targetUrl: string, kinds: readonly Kind[], kindOf: (path: string, body: Buffer) => Kind | undefined): Promise<CountingProxy<Kind>> {
    const proxy = new CountingProxy(targetUrl, kinds, kindOf);
    await proxy.server.listen((req, res) => void proxy.forward(req, res));
    return proxy;
  }

  get url(): string {
    return this.server.url;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const kind = this.kindOf(req.url ?? '', body);
    if (kind !== undefined) {
      this.arrived[kind] += 1;
      this.inFlight[kind] += 1;
      res.once('close', () => {
        this.inFlight[kind] -= 1;
      });
      if (this.holdMs[kind] > 0) await new Promise((resolve) => setTimeout(resolve, this.holdMs[kind]));
    }
    if (req.socket.destroyed) return;
    const passedOnAt = Date.now();
    const upstream = httpRequest(
      // A connection per request: Node's global agent times out a kept-alive socket 5 s after its last activity, which
      // would cut a request the service is still (rightly) working on.
      { host: this.target.hostname, port: this.target.port, path: req.url, method: req.method, headers: req.headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      this.upstreamErrors.push(`${Date.now() - passedOnAt} ms ${error.code ?? error.message}`);
      res.destroy();
    });
    res.once('close', () => upstream.destroy());
    upstream.end(body);
  }
}

/** What a Graph hunting query is for, told from its KQL: the estate aggregate, a host baseline, or a poll. */
export const HUNTING_KINDS = ['poll', 'baseline', 'prevalence'] as const;
export type HuntingKind = (typeof HUNTING_KINDS)[number];

export function huntingKind(path: string, body: Buffer): HuntingKind | undefined {
  if (!path.endsWith('/runHuntingQuery')) return undefined;
  const query = queryOf(body);
  if (!query.includes('| summarize')) return 'poll';
  return query.includes('dcount(') ? 'prevalence' : 'baseline';
}

export type VendorProxy = CountingProxy<HuntingKind>;

function queryOf(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { Query?: unknown };
    return typeof parsed.Query === 'string' ? parsed.Query : '';
  } catch {
    return '';
  }
}
