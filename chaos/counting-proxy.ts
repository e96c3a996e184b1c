import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { LoopbackServer } from '../src/simulator/loopback-server.js';

/** What a Graph hunting query is for, told from its KQL: the estate aggregate, a host baseline, or a poll. */
export type HuntingKind = 'poll' | 'baseline' | 'prevalence';

export function huntingKind(query: string): HuntingKind {
  if (!query.includes('| summarize')) return 'poll';
  return query.includes('dcount(') ? 'prevalence' : 'baseline';
}

/**
 * A loopback proxy in front of a fake Defender for Endpoint that lets a scenario see which hunting queries are in
 * flight (so a kill lands inside a poll or a baseline) and hold them longer (a busy tenant), without touching the
 * fake itself.
 */
export class VendorProxy {
  readonly inFlight: Record<HuntingKind, number> = { poll: 0, baseline: 0, prevalence: 0 };
  readonly arrived: Record<HuntingKind, number> = { poll: 0, baseline: 0, prevalence: 0 };
  /** Extra time each kind of query is held before it reaches the fake. */
  readonly holdMs: Record<HuntingKind, number> = { poll: 0, baseline: 0, prevalence: 0 };
  private readonly server = new LoopbackServer();

  private constructor(private readonly target: URL) {}

  static async start(targetUrl: string): Promise<VendorProxy> {
    const proxy = new VendorProxy(new URL(targetUrl));
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
    const kind = req.url?.endsWith('/runHuntingQuery') ? huntingKind(queryOf(body)) : undefined;
    if (kind) {
      this.arrived[kind] += 1;
      this.inFlight[kind] += 1;
      res.once('close', () => {
        this.inFlight[kind] -= 1;
      });
      if (this.holdMs[kind] > 0) await new Promise((resolve) => setTimeout(resolve, this.holdMs[kind]));
    }
    if (req.socket.destroyed) return;
    const upstream = httpRequest(
      { host: this.target.hostname, port: this.target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.once('close', () => upstream.destroy());
    upstream.end(body);
  }
}

function queryOf(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { Query?: unknown };
    return typeof parsed.Query === 'string' ? parsed.Query : '';
  } catch {
    return '';
  }
}
