import { auditName } from '../actor.js';
import { refusal, watchGone } from '../messages/replies.js';
import type { SlackActionJob } from '../queue/slack-jobs.js';
import type { SlackActionDeps } from './action-deps.js';
import { extend, stop } from './lifecycle-actions.js';
import { acknowledge, escalate, markBenign } from './triage-actions.js';

/**
 * Carries out one responder's action: the watch must exist and the responder must be allowed (checked here, where
 * it counts, even if the API already checked before opening a modal); otherwise they get a polite answer and
 * nothing changes. Every step is idempotent on `job.ref`, so a retried job finishes what it started.
 */
export async function runSlackAction(deps: SlackActionDeps, job: SlackActionJob): Promise<void> {
  const watch = await deps.store.get(job.watch_id);
  if (watch === undefined) {
    await deps.replies.send(job.ref, job.reply, watchGone(job.watch_id));
    return;
  }
  const decision = await deps.authorizer.check(job.actor.user_id, watch);
  if (!decision.allowed) {
    deps.logger.warn({ watch_id: watch.id, incident_id: watch.incident_id, actor: auditName(job.actor), action: job.kind }, 'Slack action refused');
    await deps.replies.send(job.ref, job.reply, refusal(job.kind, watch, deps.authorizer.describe(watch)));
    return;
  }
  deps.logger.info({ watch_id: watch.id, incident_id: watch.incident_id, actor: auditName(job.actor), action: job.kind, via: decision.via }, 'Slack action');
  switch (job.kind) {
    case 'acknowledge':
      return acknowledge(deps, watch, job);
    case 'mark_benign':
      return markBenign(deps, watch, job);
    case 'escalate':
      return escalate(deps, watch, job);
    case 'extend':
      return extend(deps, watch, job);
    case 'stop':
      return stop(deps, watch, job);
  }
}
