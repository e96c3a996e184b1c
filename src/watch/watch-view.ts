import type { Finding } from '../contracts/finding.js';
import { primaryIdentifier } from '../contracts/host-identity.js';
import type { Watch, WatchView } from '../contracts/watch.js';
import type { FindingStore } from '../stores/finding-store.js';
import type { WatchStore } from '../stores/watch-store.js';

/** Assembles what the API returns and reporters render for one watch. */
export class WatchViews {
  constructor(
    private readonly store: WatchStore,
    private readonly findings: FindingStore,
    private readonly publicUrl: string,
  ) {}

  statusUrl(watchId: string): string {
    return `${this.publicUrl.replace(/\/$/, '')}/v1/watches/${watchId}`;
  }

  async build(watch: Watch, findings?: readonly Finding[]): Promise<WatchView> {
    const [list, suppressed, coverage, slackDelivery, quiet] = await Promise.all([
      findings ?? this.findings.list(watch.id),
      this.findings.suppressed(watch.id),
      this.store.sourceHealth(watch.id),
      this.store.slackDelivery(watch.id),
      this.store.quietHosts(watch.id),
    ]);
    const labels = watch.hosts.map((host) => primaryIdentifier(host) ?? '?');
    return {
      ...watch,
      findings: { total: list.length, by_severity: this.findings.countBySeverity(list) },
      suppressed,
      coverage: coverage.map((health) => {
        const seen = new Set(health.hosts_seen.map((host) => host.toLowerCase()));
        return { ...health, hosts_unseen: labels.filter((label) => !seen.has(label.toLowerCase())) };
      }),
      status_url: this.statusUrl(watch.id),
      quiet_hosts: [...quiet].map(([host, lastHeard]) => ({ host, last_heard: lastHeard })),
      ...(slackDelivery === undefined ? {} : { slack_delivery: slackDelivery }),
    };
  }

  async byId(watchId: string): Promise<WatchView | undefined> {
    const watch = await this.store.get(watchId);
    return watch ? this.build(watch) : undefined;
  }
}
