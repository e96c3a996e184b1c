import type { Finding, FindingMark } from '../../contracts/finding.js';
import { inlineCode, truncateEscaped, utcText } from '../../report/text/mrkdwn.js';
import { severityLabel } from '../../report/text/labels.js';

/** Slack user ids (`U…`, `W…` on Enterprise Grid); anything else is shown as text, never as a mention. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,30}$/;

/**
 * Who acted, for a message that is meant to notify them or show their name as Slack does: a mention when the actor
 * is a Slack user, else their audit name as code.
 */
export function actorText(mark: Pick<FindingMark, 'by' | 'slack_user_id'>): string {
  if (mark.slack_user_id !== undefined && SLACK_USER_ID.test(mark.slack_user_id)) return `<@${mark.slack_user_id}>`;
  return inlineCode(mark.by, 100);
}

/** Who acted, inside a finding's message: the audit name as code, as "opened by" is shown, never a mention. */
const markedBy = (mark: Pick<FindingMark, 'by'>): string => inlineCode(mark.by, 100);

const when = (iso: string): string => utcText(iso);

/** The responders' decisions on a finding, one line each, for its Slack message. */
export function markLines(finding: Finding): string[] {
  const lines: string[] = [];
  if (finding.benign !== undefined) {
    const { benign } = finding;
    const scope = benign.scope === 'everywhere' ? 'everywhere' : 'this incident';
    const until = benign.expires === undefined ? '' : ` until ${when(benign.expires)}`;
    lines.push(
      `🟢 *Marked benign* by ${markedBy(benign)} ${when(benign.at)} (${scope}${until}): ${truncateEscaped(benign.reason, 500)} · rule ${inlineCode(benign.rule_id, 80)}`,
    );
  }
  if (finding.acknowledged !== undefined) {
    lines.push(`✔️ *Acknowledged* by ${markedBy(finding.acknowledged)} ${when(finding.acknowledged.at)}`);
  }
  if (finding.escalated !== undefined) {
    const { escalated } = finding;
    lines.push(`⬆️ *Escalated* by ${markedBy(escalated)} ${when(escalated.at)} from ${severityLabel(escalated.from)} to ${severityLabel(finding.severity)}`);
  }
  return lines;
}
