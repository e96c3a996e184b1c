import type { Finding } from '../contracts/finding.js';
import type { WatchView } from '../contracts/watch.js';

/**
 * Where a watch's story is told: Slack, or the console and a JSON-lines file. Every method may be called
 * more than once for the same thing (jobs are delivered at least once); implementations post once and edit after.
 */
export interface Reporter {
  /** Creates the watch's status message on the first call, edits it in place afterwards. */
  publishStatus(view: WatchView): Promise<void>;
  /** Posts the finding once, as a threaded reply under the status message; later calls edit that reply. */
  publishFinding(view: WatchView, finding: Finding): Promise<void>;
  /** Posts the closing verdict once, with counts; edits the status message to its final state. */
  publishVerdict(view: WatchView, findings: readonly Finding[]): Promise<void>;
  close(): Promise<void>;
}
