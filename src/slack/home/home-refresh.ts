import type { Finding } from '../../contracts/finding.js';
import type { WatchView } from '../../contracts/watch.js';
import type { Reporter } from '../../report/reporter.js';

/** Wraps a reporter: whenever a watch's status or verdict is published, the App Home boards are refreshed too. */
export function withHomeRefresh(reporter: Reporter, refresh: () => Promise<void>): Reporter {
  return {
    async publishStatus(view: WatchView) {
      await reporter.publishStatus(view);
      await refresh();
    },
    publishFinding: (view: WatchView, finding: Finding) => reporter.publishFinding(view, finding),
    async publishVerdict(view: WatchView, findings: readonly Finding[]) {
      await reporter.publishVerdict(view, findings);
      await refresh();
    },
    close: () => reporter.close(),
  };
}
