import type { Finding, FindingMark } from '../../contracts/finding.js';
import type { Watch } from '../../contracts/watch.js';
import { destinationLabel, processLabel } from '../../report/describe.js';
import { auditName } from '../actor.js';
import { escalationNote } from '../messages/notes.js';
import { alreadyDecided, benignDone, cannotMakeRule, findingGone } from '../messages/replies.js';
import type { SlackActionJob } from '../queue/slack-jobs.js';
import type { SlackActionDeps } from './action-deps.js';
import { benignRule } from './benign-rule.js';

type JobOf<K extends SlackActionJob['kind']> = Extract<SlackActionJob, { kind: K }>;
type FindingJob = JobOf<'acknowledge' | 'mark_benign' | 'escalate'>;

const markOf = (job: SlackActionJob): FindingMark => ({ by: auditName(job.actor), slack_user_id: job.actor.user_id, at: job.at, ref: job.ref });

const describe = (finding: Finding): string => `${finding.host}: ${processLabel(finding)} to ${destinationLabel(finding)}`;

async function findingOf(deps: SlackActionDeps, watch: Watch, job: FindingJob): Promise<Finding | undefined> {
  const stored = await deps.findings.get(watch.id, job.finding_id);
  if (stored === undefined) await deps.replies.send(job.ref, job.reply, findingGone(watch.incident_id));
  return stored?.finding;
}

/** Acknowledge: the finding shows who and when; acknowledging what someone else already handled changes nothing. */
export async function acknowledge(deps: SlackActionDeps, watch: Watch, job: JobOf<'acknowledge'>): Promise<void> {
  const finding = await findingOf(deps, watch, job);
  if (finding === undefined) return;
  const result = await deps.findings.triage(watch.id, finding.id, { op: 'acknowledge', mark: markOf(job) });
  if (result.outcome === 'unchanged') {
    await deps.replies.send(job.ref, job.reply, alreadyDecided(result.status === 'benign' ? 'benign' : 'acknowledged', result.earlier));
    return;
  }
  await deps.service.recordAudit(watch.id, { actor: auditName(job.actor), action: 'acknowledge', detail: `finding ${finding.id} (${describe(finding)})`, ref: job.ref });
  await deps.queues.sync(watch.id);
}

/**
 * Mark benign: stores the allow-rule every worker's detectors pick up (this incident's watches, or every watch),
 * marks the finding, and records it in the audit trail of each active watch the rule reaches.
 */
export async function markBenign(deps: SlackActionDeps, watch: Watch, job: JobOf<'mark_benign'>): Promise<void> {
  const finding = await findingOf(deps, watch, job);
  if (finding === undefined) return;
  const rule = benignRule(finding, {
    scope: job.scope,
    incidentId: watch.incident_id,
    reason: job.reason,
    ...(job.expires_at === undefined ? {} : { expires: job.expires_at }),
  });
  if (rule === undefined) {
    await deps.replies.send(job.ref, job.reply, cannotMakeRule());
    return;
  }
  const actor = auditName(job.actor);
  await deps.allowRules.save(rule, {
    created_by: actor,
    created_at: job.at,
    origin: { watch_id: watch.id, finding_id: finding.id, incident_id: watch.incident_id },
  });
  await deps.findings.triage(watch.id, finding.id, {
    op: 'benign',
    mark: { ...markOf(job), reason: job.reason, scope: job.scope, rule_id: rule.id, ...(job.expires_at === undefined ? {} : { expires: job.expires_at }) },
  });
  const scope = job.scope === 'everywhere' ? 'everywhere' : 'this incident';
  const until = job.expires_at === undefined ? '' : ` until ${job.expires_at}`;
  await deps.service.recordAudit(watch.id, {
    actor,
    action: 'mark_benign',
    detail: `finding ${finding.id} (${describe(finding)}): allow-rule ${rule.id}, ${scope}${until}: ${job.reason}`,
    ref: job.ref,
  });
  const reached = (await deps.store.list('active')).filter((active) => job.scope === 'everywhere' || active.incident_id === watch.incident_id);
  for (const other of reached.filter((active) => active.id !== watch.id)) {
    await deps.service.recordAudit(other.id, {
      actor,
      action: 'allow_rule',
      detail: `allow-rule ${rule.id} from ${watch.incident_id} (${describe(finding)}), ${scope}${until}: ${job.reason}`,
      ref: job.ref,
    });
  }
  await deps.queues.sync(watch.id);
  await deps.replies.send(
    job.ref,
    job.reply,
    benignDone({ ruleId: rule.id, scope: job.scope, incidentId: watch.incident_id, watches: reached.length, ...(job.expires_at === undefined ? {} : { expires: job.expires_at }) }),
  );
}

/** Escalate: one severity step up, and a note in the thread that mentions the incident commander or on-call group. */
export async function escalate(deps: SlackActionDeps, watch: Watch, job: JobOf<'escalate'>): Promise<void> {
  const finding = await findingOf(deps, watch, job);
  if (finding === undefined) return;
  const result = await deps.findings.triage(watch.id, finding.id, { op: 'escalate', mark: markOf(job) });
  // On a retried job the finding read above may already carry this escalation.
  const from = finding.escalated?.ref === job.ref ? finding.escalated.from : finding.severity;
  await deps.service.recordAudit(watch.id, {
    actor: auditName(job.actor),
    action: 'escalate',
    detail: `finding ${finding.id} (${describe(finding)}) from ${from} to ${result.severity ?? finding.severity}`,
    ref: job.ref,
  });
  await deps.queues.sync(watch.id);
  const escalated = (await deps.findings.get(watch.id, finding.id))?.finding ?? finding;
  await deps.notes.publishNote(await deps.views.build(watch), job.ref, escalationNote(watch, escalated, job.actor, deps.settings.escalation));
}
