import type { WatchView } from '../../contracts/watch.js';
import { context, divider, section, slackMessage, type Block, type SlackMessage } from '../render/block-kit.js';
import { statusMessage } from '../render/blocks.js';
import { watchSummary } from './watch-summary.js';

/** Room for a header section and the "and N more" line inside Slack's 50 blocks. */
/** Watches `/containment list` shows; the rest are counted. */
export const LISTED = 22;

export function helpReply(command: string): SlackMessage {
  const lines = [
    `*${command}*: the containment watches, from Slack.`,
    `• \`${command} status [incident]\`: the watch of this channel, or of the incident you name`,
    `• \`${command} list\`: every active watch`,
    `• \`${command} extend <incident> <duration>\`: watch longer, e.g. \`${command} extend INC-2041 12h\``,
    `• \`${command} stop <incident> [reason]\`: stop now; the verdict follows`,
    `• \`${command} help\`: this help`,
    'The buttons under the status message and each finding do the same; the App Home shows every active watch.',
  ];
  return slackMessage(`${command} help`, [section('cw-help', lines.join('\n'))]);
}

export function listReply(views: readonly WatchView[], now: number, total = views.length): SlackMessage {
  if (total === 0) return slackMessage('No active watches', [section('cw-list', 'No active watches right now.')]);
  const blocks: Block[] = [section('cw-list', `*Active watches (${total})*`)];
  const shown = views.slice(0, LISTED);
  shown.forEach((view, index) => blocks.push(divider(), section(`cw-list-${index}`, watchSummary(view, now))));
  if (total > shown.length) blocks.push(context('cw-list-more', [`… and ${total - shown.length} more: see the App Home or GET /v1/watches.`]));
  return slackMessage(`${total} active watches`, blocks);
}

/** The status message itself, without buttons: the one person asking sees what the channel sees. */
export const statusReply = (view: WatchView, now: number): SlackMessage => statusMessage(view, { now });
