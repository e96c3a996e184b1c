import type { FindingMark } from '../../contracts/finding.js';
import type { Watch } from '../../contracts/watch.js';
import { section, slackMessage, type SlackMessage } from '../render/block-kit.js';
import { actorText } from '../render/marks.js';
import { inlineCode, joinCapped, utcText } from '../../report/text/mrkdwn.js';
import type { SlackActionKind } from '../queue/slack-jobs.js';

/** One short answer to one person: a single section of mrkdwn, the same text as the notification fallback. */
export function shortReply(mrkdwn: string): SlackMessage {
  return slackMessage(mrkdwn, [section('cw-reply', mrkdwn)]);
}

const VERB: Readonly<Record<SlackActionKind, string>> = {
  acknowledge: 'acknowledge findings of',
  mark_benign: 'mark findings benign in',
  escalate: 'escalate findings of',
  extend: 'extend',
  stop: 'stop',
};

const CHANNEL_ID = /^[CG][A-Z0-9]{2,30}$/;

/** `<#C…>` for a channel id (a link, never a ping); a channel given by name is shown as text. */
export const channelText = (channel: string): string => (CHANNEL_ID.test(channel) ? `<#${channel}>` : inlineCode(channel, 80));

/** The polite refusal: what was refused, and who can do it instead. */
export function refusal(kind: SlackActionKind, watch: Pick<Watch, 'incident_id'>, who: { channel?: string; users: readonly string[]; userGroups: readonly string[] }): SlackMessage {
  const allowed: string[] = [];
  if (who.channel !== undefined) allowed.push(`members of ${channelText(who.channel)}`);
  if (who.userGroups.length > 0) allowed.push(`members of the user group${who.userGroups.length === 1 ? '' : 's'} ${joinCapped(who.userGroups.map((id) => inlineCode(id, 40)), 300)}`);
  if (who.users.length > 0) allowed.push(`${joinCapped(who.users.map((id) => `<@${id}>`), 600)}`);
  const whom = allowed.length === 0 ? 'nobody is allowed from Slack (see `slack.authorized` in containment-watch.yaml)' : allowed.join(', or ');
  return shortReply(
    `🙏 Sorry, you are not allowed to ${VERB[kind]} the watch of ${inlineCode(watch.incident_id, 130)}, so nothing was changed. ` +
      `That is for ${whom}. Please ask one of them.`,
  );
}

export const watchGone = (watchId: string): SlackMessage => shortReply(`That watch (${inlineCode(watchId, 100)}) no longer exists, so nothing was changed.`);

export const findingGone = (incidentId: string): SlackMessage =>
  shortReply(`That finding is no longer stored for ${inlineCode(incidentId, 130)}, so nothing was changed.`);

export const watchClosed = (watch: Pick<Watch, 'incident_id'>): SlackMessage =>
  shortReply(`The watch of ${inlineCode(watch.incident_id, 130)} is already closed, so it cannot be extended or stopped. Its verdict is in the thread.`);

export const noActiveWatch = (incidentId: string): SlackMessage =>
  shortReply(`There is no active watch for ${inlineCode(incidentId, 130)}. \`/containment list\` shows the active ones.`);

export function alreadyDecided(status: 'acknowledged' | 'benign', earlier: FindingMark | undefined): SlackMessage {
  const by = earlier === undefined ? '' : ` by ${actorText(earlier)} ${utcText(earlier.at)}`;
  return shortReply(`This finding was already ${status === 'benign' ? 'marked benign' : 'acknowledged'}${by}; nothing was changed.`);
}

export const cannotMakeRule = (): SlackMessage =>
  shortReply('This finding has no process or destination a rule could match, so no allow-rule was created. It was not marked benign.');

export function benignDone(options: { ruleId: string; scope: 'incident' | 'everywhere'; incidentId: string; watches: number; expires?: string }): SlackMessage {
  const where = options.scope === 'everywhere' ? 'every watch' : `the watches of ${inlineCode(options.incidentId, 130)}`;
  const until = options.expires === undefined ? '' : ` until ${utcText(options.expires)}`;
  return shortReply(
    `🟢 Marked benign. Allow-rule ${inlineCode(options.ruleId, 80)} suppresses matching connections in ${where}${until} ` +
      `(${options.watches} active now); they are counted, not reported.`,
  );
}

export const extendDone = (watch: Pick<Watch, 'incident_id' | 'expires_at'>, byText: string): SlackMessage =>
  shortReply(`⏱️ Extended the watch of ${inlineCode(watch.incident_id, 130)} by ${byText}; it now ends ${utcText(watch.expires_at)}.`);

export const stopDone = (watch: Pick<Watch, 'incident_id'>): SlackMessage =>
  shortReply(`🛑 Stopping the watch of ${inlineCode(watch.incident_id, 130)}: the sources get a last look, then the verdict is posted in its thread.`);
