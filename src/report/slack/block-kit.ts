import type { types } from '@slack/bolt';
import type { FindingStatus } from '../../contracts/finding.js';
import { plainText } from '../text/mrkdwn.js';

/** Slack's documented limits for a message (reference/soar-and-slack.md section 4). */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  headerText: 150,
  contextElements: 10,
  blockId: 255,
} as const;

export type Block = types.KnownBlock;

/** A rendered message: `text` is the notification and screen-reader fallback, escaped like the blocks. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

/** Identifies what a message is about, so buttons can carry ids only, and which buttons still make sense. */
export type MessageContext =
  | { kind: 'status'; watchId: string; incidentId: string; closed: boolean }
  | { kind: 'finding'; watchId: string; incidentId: string; findingId: string; status: FindingStatus; closed: boolean }
  | { kind: 'verdict'; watchId: string; incidentId: string };

/** Returns extra blocks (such as an actions block) appended to a message; see `BuildOptions.actions`. */
export type ActionsBuilder = (context: MessageContext) => Block[];

/** Block ids stay within Slack's 255 characters whatever the watch or finding id. */
export const blockId = (...parts: string[]): string => parts.join(':').slice(0, SLACK_LIMITS.blockId);

/**
 * mrkdwn as written, never auto-parsed: without `verbatim`, Slack turns a URL or a domain from telemetry
 * (`www.evil-c2.example`) into a live link and a `#name` into a channel link. Links the product means are written
 * out as `<url|text>` and still render.
 */
export const mrkdwnText = (text: string): types.MrkdwnElement => ({ type: 'mrkdwn', text: text.slice(0, SLACK_LIMITS.sectionText), verbatim: true });

export function section(id: string, mrkdwn: string): types.SectionBlock {
  return { type: 'section', block_id: id, text: mrkdwnText(mrkdwn) };
}

export function header(id: string, text: string): types.HeaderBlock {
  return { type: 'header', block_id: id, text: { type: 'plain_text', text: plainText(text, SLACK_LIMITS.headerText), emoji: true } };
}

export function context(id: string, mrkdwnElements: readonly string[]): types.ContextBlock {
  return {
    type: 'context',
    block_id: id,
    elements: mrkdwnElements
      .slice(0, SLACK_LIMITS.contextElements)
      .map(mrkdwnText),
  };
}

export const divider = (): types.DividerBlock => ({ type: 'divider' });

/** Appends the caller's extra blocks, dropping trailing content blocks if together they would pass 50 blocks. */
export function withActions(blocks: Block[], messageContext: MessageContext, actions: ActionsBuilder | undefined): Block[] {
  const extra = actions ? actions(messageContext).slice(0, SLACK_LIMITS.blocksPerMessage) : [];
  const room = SLACK_LIMITS.blocksPerMessage - extra.length;
  return [...blocks.slice(0, room), ...extra];
}
