import { randomBytes } from 'node:crypto';
import type { types } from '@slack/bolt';
import type { FindingStatus } from '../../contracts/finding.js';
import { plainText } from '../../report/text/mrkdwn.js';

/** Slack's documented limits for a message (reference/soar-and-slack.md section 4). */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  headerText: 150,
  contextElements: 10,
  blockId: 255,
  /** Slack cuts the top-level `text` at 40,000; a notification longer than a section helps no one. */
  messageText: 3000,
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
 * The product's own mrkdwn constructs, which stay live: mentions of users, channels and user groups by validated id.
 * Telemetry can never produce one, because its `<` is always escaped first.
 */
const OWN_CONSTRUCT = /<(?:@[UW][A-Z0-9]{2,30}|#[CG][A-Z0-9]{2,30}|!subteam\^[A-Z0-9]{2,30})>/y;
const OWN_ENTITY = /&(?:amp|lt|gt);/y;
const ENTITY: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
/** `>` (or its entity, which Slack's own clients send) at the start of a line quotes the line. */
const LINE_QUOTE = /^([ \t]*)&gt;/gm;

/**
 * Escapes what the product itself wrote into mrkdwn: Slack requires `& < >` as entities, and the product's own
 * fragments (`(<1m left)`, `lag <1s`) are not escaped where they are written. Entities and the product's mentions
 * are kept; a quote at the start of a line is turned into a look-alike, since the product never quotes.
 */
export function sealMrkdwn(text: string): string {
  let out = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index] ?? '';
    const own = char === '<' ? OWN_CONSTRUCT : char === '&' ? OWN_ENTITY : undefined;
    if (own !== undefined) {
      own.lastIndex = index;
      const match = own.exec(text);
      if (match !== null) {
        out += match[0];
        index += match[0].length;
        continue;
      }
    }
    out += ENTITY[char] ?? char;
    index += 1;
  }
  return out.replace(LINE_QUOTE, '$1\u203a');
}

/** Cuts mrkdwn to `max` characters without splitting an entity, a mention or a surrogate pair, and marks the cut. */
export function fitMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const opened = Math.max(text.lastIndexOf('&', end - 1), text.lastIndexOf('<', end - 1));
  if (opened >= 0 && !/[;>]/.test(text.slice(opened, end))) end = opened;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * mrkdwn as written, never auto-parsed: without `verbatim`, Slack turns a URL or a domain from telemetry
 * (`www.evil-c2.example`) into a live link and a `#name` into a channel link. The text is sealed (see `sealMrkdwn`).
 */
export const mrkdwnText = (text: string): types.MrkdwnElement => ({
  type: 'mrkdwn',
  text: fitMrkdwn(sealMrkdwn(text), SLACK_LIMITS.sectionText),
  verbatim: true,
});

/** A short random suffix, new for every rendering. */
const renderNonce = (): string => randomBytes(6).toString('base64url');

/**
 * Gives every block an id unique within the message and new for this rendering: Slack asks for a new block_id on
 * every update of a message. The readable part (`status:w-1:hosts`) comes first and is kept as far as 255 allows;
 * buttons carry their meaning in action_id and value, never in the block id.
 */
export function freshBlockIds<T extends { type: string; block_id?: string }>(blocks: readonly T[]): T[] {
  const nonce = renderNonce();
  const used = new Set<string>();
  return blocks.map((block, index) => {
    const base = block.block_id ?? `${block.type}-${index}`;
    const suffix = `:${nonce}`;
    let id = `${base.slice(0, SLACK_LIMITS.blockId - suffix.length)}${suffix}`;
    if (used.has(id)) {
      const indexed = `:${index}${suffix}`;
      id = `${base.slice(0, SLACK_LIMITS.blockId - indexed.length)}${indexed}`;
    }
    used.add(id);
    return { ...block, block_id: id };
  });
}

/**
 * Every message the product sends is made here: the notification text sealed like mrkdwn objects and capped, at
 * most 50 blocks, and fresh block ids.
 */
export function slackMessage(text: string, blocks: readonly Block[]): SlackMessage {
  return {
    text: fitMrkdwn(sealMrkdwn(text), SLACK_LIMITS.messageText),
    blocks: freshBlockIds(blocks.slice(0, SLACK_LIMITS.blocksPerMessage)),
  };
}

export function section(id: string, mrkdwn: string): types.SectionBlock {
  return { type: 'section', block_id: id, text: mrkdwnText(mrkdwn) };
}

export function header(id: string, text: string): types.HeaderBlock {
  return { type: 'header', block_id: id, text: { type: 'plain_text', text: plainText(text, SLACK_LIMITS.headerText), emoji: false } };
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

/**
 * How Slack must treat every message we send: `parse: 'none'` so nothing in the text is turned into a link or a
 * mention by Slack itself (and no `link_names`); `NO_PREVIEWS` also for messages that could unfurl a link.
 */
export const AS_WRITTEN = { parse: 'none' } as const;
export const NO_PREVIEWS = { ...AS_WRITTEN, unfurl_links: false, unfurl_media: false } as const;
