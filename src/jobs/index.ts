import { baselineJob, type BaselineJobDeps } from './baseline.js';
import { closeJob, type CloseJobDeps } from './close.js';
import { bindJob, type RunnableJob } from './job.js';
import { pollJobOf, type PollJobDeps } from './poll.js';
import { pollShardJobOf, type PollShardJobDeps } from './poll-shard.js';
import { prevalenceJob, type PrevalenceJobDeps } from './prevalence.js';
import { reconcileJob, type ReconcileJobDeps } from './reconcile.js';
import { slackActionJob, type SlackActionJobDeps } from './slack-action.js';
import { slackHomeRefreshJob, type SlackHomeRefreshJobDeps } from './slack-home-refresh.js';
import { slackHomeJob, type SlackHomeJobDeps } from './slack-home.js';
import { syncJob, type SyncJobDeps } from './sync.js';
import { verdictJob, type VerdictJobDeps } from './verdict.js';

/** What each job needs, built by the composition root (src/runtime). */
export interface JobDeps {
  baseline: BaselineJobDeps;
  close: CloseJobDeps;
  reconcile: ReconcileJobDeps;
  poll: PollJobDeps;
  pollShard: PollShardJobDeps;
  prevalence: PrevalenceJobDeps;
  sync: SyncJobDeps;
  verdict: VerdictJobDeps;
}

/** Every job a worker process runs, bound to its dependencies; the poll once per configured source. */
export function watchJobs(deps: JobDeps, sourceIds: readonly string[]): RunnableJob[] {
  return [
    bindJob(baselineJob, deps.baseline),
    bindJob(closeJob, deps.close),
    bindJob(reconcileJob, deps.reconcile),
    bindJob(prevalenceJob, deps.prevalence),
    ...sourceIds.flatMap((sourceId) => [bindJob(pollJobOf(sourceId), deps.poll), bindJob(pollShardJobOf(sourceId), deps.pollShard)]),
    bindJob(syncJob, deps.sync),
    bindJob(verdictJob, deps.verdict),
  ];
}

/** What the Slack jobs need, built by the composition root when Slack is interactive. */
export interface SlackJobDeps {
  action: SlackActionJobDeps;
  home: SlackHomeJobDeps;
  homeRefresh: SlackHomeRefreshJobDeps;
}

/** The jobs of the `{slack}` queue: responders' actions and App Home publications. */
export function slackJobs(deps: SlackJobDeps): RunnableJob[] {
  return [bindJob(slackActionJob, deps.action), bindJob(slackHomeJob, deps.home), bindJob(slackHomeRefreshJob, deps.homeRefresh)];
}
