import type { Finding } from '../../contracts/finding.js';
import type { Watch } from '../../contracts/watch.js';
import { destinationLabel, processLabel } from '../../report/describe.js';
import { section, slackMessage, type SlackMessage } from '../render/block-kit.js';
import { actorText } from '../render/marks.js';
import { inlineCode, truncateEscaped, utcText } from '../../report/text/mrkdwn.js';
import { SEVERITY_EMOJI, severityLabel } from '../../report/text/labels.js';
import { formatTimeLeft } from '../../report/text/time.js';
import { auditName, type SlackActor } from '../actor.js';
import type { SlackEscalation } from '../../config/slack-settings.js';

/** Notes posted in a watch's thread for everyone in the incident channel to see. */

const mention = (actor: SlackActor): string => actorText({ by: auditName(actor), slack_user_id: actor.user_id });

function threadNote(id: string, mrkdwn: string, fallback: string): SlackMessage {
  return slackMessage(truncateEscaped(fallback, 600), [section(id, mrkdwn)]);
}

/** Mentions the incident commander(s) and on-call group so they are notified; says so when nobody is configured. */
export function escalationNote(watch: Pick<Watch, 'incident_id'>, finding: Finding, actor: SlackActor, escalation: SlackEscalation): SlackMessage {
  const targets = [...escalation.users.map((id) => `<@${id}>`), ...escalation.user_groups.map((id) => `<!subteam^${id}>`)];
  const who = targets.length > 0 ? `${targets.join(' ')}: please take a look.` : '(no escalation contact is configured: set `slack.escalation` in containment-watch.yaml)';
  const what = `${SEVERITY_EMOJI[finding.severity]} *${severityLabel(finding.severity)}* finding on ${inlineCode(finding.host, 200)}: ${inlineCode(processLabel(finding), 200)} to ${inlineCode(destinationLabel(finding), 300)}`;
  return threadNote(
    `note:escalate:${finding.id}`,
    `⬆️ *Escalated* by ${mention(actor)} ${who}\n${what}`,
    `Escalated: ${severityLabel(finding.severity)} finding on ${finding.host} (${watch.incident_id})`,
  );
}

export function extendNote(watch: Pick<Watch, 'id' | 'incident_id' | 'expires_at'>, actor: SlackActor, byText: string, now: number): SlackMessage {
  return threadNote(
    `note:extend:${watch.id}`,
    `⏱️ ${mention(actor)} extended the watch by ${byText}: it now ends ${utcText(watch.expires_at)} (${formatTimeLeft(watch.expires_at, now)}).`,
    `Watch ${watch.incident_id} extended by ${byText}`,
  );
}

export function stopNote(watch: Pick<Watch, 'id' | 'incident_id'>, actor: SlackActor, reason: string): SlackMessage {
  return threadNote(
    `note:stop:${watch.id}`,
    `🛑 ${mention(actor)} stopped the watch: ${truncateEscaped(reason, 500)}\nThe sources get a last look, then the verdict follows in this thread.`,
    `Watch ${watch.incident_id} stopped`,
  );
}
