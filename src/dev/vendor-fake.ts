import type { RequestListener } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

/**
 * What every vendor fake shares: a loopback server, and a queue of scripted failures that the next data
 * requests get instead of their answers. Subclasses serve the vendor's routes and answer each failure in the
 * vendor's own shape.
 */
export abstract class VendorFake<Failure> {
  private readonly server = new LoopbackServer();
  private readonly failures: Failure[] = [];

  /** `port` 0: an ephemeral one. */
  protected constructor(private readonly port = 0) {}

  get url(): string {
    return this.server.url;
  }

  /** The next data requests get these answers, in order, instead of being served. */
  failNext(...failures: Failure[]): void {
    this.failures.push(...failures);
  }

  async start(): Promise<this> {
    await this.server.listen(this.app(), this.port);
    return this;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** The failure the current data request gets, if one is queued. */
  protected nextFailure(): Failure | undefined {
    return this.failures.shift();
  }

  protected abstract app(): RequestListener;
}
