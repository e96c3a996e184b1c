import { isIP } from 'node:net';
/**
 * Escaping for text that comes from telemetry (process names, command lines, hostnames, error messages) before it
 * goes into Slack mrkdwn. Slack has no backslash escape, so the choices are:
 *
 * - `& < >` become entities, which Slack requires and which makes `<!channel>`, `<@U123>` and `<https://x|click>`
 *   plain text: no ping, no link.
 * - Bare `@channel`, `@here`, `@everyone` get a full-width at sign (＠), in case a message is ever sent with
 *   `link_names`.
 * - Emoji shortcodes (`:skull:`) get a ratio sign (∶) for their colons, in every style: whether Slack turns a
 *   shortcode into an emoji inside a code span is not documented. Other colons (`C:\`, `10:42`) stay.
 * - Free text (`escapeMrkdwn`): the formatting markers `* _ ~` and the backtick are replaced by look-alike characters
 *   (∗ ˍ ∼ ˋ), so telemetry can neither bold a line nor open a code span that swallows the rest of the message.
 * - Exact values (`inlineCode`, `codeBlock`): the text is wrapped in a code span, where Slack applies no formatting,
 *   and only the backtick is replaced. Paths such as `C:\svc_host\tool_v2.exe` therefore stay exactly as reported.
 * - Control characters become a space (tab, line breaks) or U+FFFD, and so do lone surrogates. Invisible characters
 *   (zero-width spaces and joiners, bidi overrides, the BOM, soft hyphens: every format character) are shown as
 *   `[U+200B]`, so a responder sees that the string holds something hidden (`exe.pdf` reversed to look like
 *   `pdf.exe`, a host name with a zero-width space that only looks like the real one).
 *
 * Truncation happens on the raw text, one source character at a time, so a cut never splits an entity, a
 * `[U+…]` or a surrogate pair, and the cut is marked: "… (truncated, N more characters)".
 */

import { formatUtc } from './time.js';

export type EscapeStyle = 'text' | 'code';

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const FORMATTING_LOOKALIKES: Readonly<Record<string, string>> = {
  '*': '\u2217',
  _: '\u02cd',
  '~': '\u223c',
  '`': '\u02cb',
};
const BACKTICK_LOOKALIKE = '\u02cb';
const FULLWIDTH_AT = '\uff20';
const RATIO = '\u2236';
const REPLACEMENT = '\ufffd';
const BROADCAST_MENTION = /^@(?:channel|here|everyone)/i;
/**
 * Characters an emoji name is made of; a run of them between two colons may render as an emoji. The backtick counts
 * too: its look-alike (ˋ) is a letter.
 */
const EMOJI_NAME = /^[\p{L}\p{N}_+'`-]$/u;
/** Variation selectors are invisible too, but they belong to the emoji before them and hide nothing. */
const HIDDEN = /^(?![\ufe00-\ufe0f\u{e0100}-\u{e01ef}])[\p{Cf}\p{Default_Ignorable_Code_Point}]$/u;

const codePointLabel = (code: number): string => `[U+${code.toString(16).toUpperCase().padStart(4, '0')}]`;

/** Maps one code point that cannot be shown as-is; undefined when it is harmless. */
function neutralise(char: string): string | undefined {
  const code = char.codePointAt(0) ?? 0;
  if (char === '\t' || char === '\n' || char === '\r' || code === 0x2028 || code === 0x2029) return ' ';
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0xd800 && code <= 0xdfff)) return REPLACEMENT;
  if (HIDDEN.test(char)) return codePointLabel(code);
  return undefined;
}

/** Indexes of the colons that delimit an emoji shortcode (`:name:`), however many overlap (`:a:b:`). */
function emojiColons(chars: readonly string[]): Set<number> {
  const colons = new Set<number>();
  chars.forEach((char, index) => {
    if (char !== ':') return;
    let end = index + 1;
    while (EMOJI_NAME.test(chars[end] ?? '')) end += 1;
    if (end > index + 1 && chars[end] === ':') colons.add(index).add(end);
  });
  return colons;
}

/** Shared by every style: hidden, control and emoji characters, and broadcast mentions. */
function commonPiece(chars: readonly string[], index: number, colons: ReadonlySet<number>): string | undefined {
  const char = chars[index] ?? '';
  const neutral = neutralise(char);
  if (neutral !== undefined) return neutral;
  if (colons.has(index)) return RATIO;
  if (char === '@' && BROADCAST_MENTION.test(chars.slice(index, index + 9).join(''))) return FULLWIDTH_AT;
  return undefined;
}

/** The escaped form of every source code point, in order; joining them gives the escaped text. */
function escapedPieces(text: string, style: EscapeStyle): string[] {
  const chars = Array.from(text);
  // An address is shown exactly, to be copied: its hex groups (`2001:db8:0:ab::1`) are not shortcodes to neutralise.
  const colons = isIP(text) === 0 ? emojiColons(chars) : new Set<number>();
  return chars.map((char, index) => {
    const common = commonPiece(chars, index, colons);
    if (common !== undefined) return common;
    const entity = ENTITIES[char];
    if (entity !== undefined) return entity;
    if (style === 'code') return char === '`' ? BACKTICK_LOOKALIKE : char;
    return FORMATTING_LOOKALIKES[char] ?? char;
  });
}

export const truncationMarker = (omitted: number): string =>
  `… (truncated, ${omitted} more character${omitted === 1 ? '' : 's'})`;

interface Cut {
  kept: string;
  /** Source characters left out; 0 when everything fit. */
  omitted: number;
}

/** Keeps whole escaped pieces while they fit in `max`, reserving room for the marker when something must go. */
function cut(pieces: readonly string[], max: number, reserved: number): Cut {
  const full = pieces.join('');
  if (full.length <= max) return { kept: full, omitted: 0 };
  const budget = max - reserved - truncationMarker(pieces.length).length;
  let kept = '';
  let count = 0;
  for (const piece of pieces) {
    if (kept.length + piece.length > budget) break;
    kept += piece;
    count += 1;
  }
  return { kept, omitted: pieces.length - count };
}

/** Escapes telemetry for free mrkdwn text (see the module comment for what changes). */
export function escapeMrkdwn(text: string): string {
  return escapedPieces(text, 'text').join('');
}

/**
 * Escapes and, when the result would exceed `max` characters, truncates the raw text first and appends a visible
 * marker; the result, marker included, is at most `max` characters (for `max` of at least 40).
 */
export function truncateEscaped(text: string, max: number, style: EscapeStyle = 'text'): string {
  const { kept, omitted } = cut(escapedPieces(text, style), max, 0);
  return omitted === 0 ? kept : `${kept}${truncationMarker(omitted)}`;
}

/** Telemetry as an inline code span of at most `max` characters; the truncation marker stays outside the span. */
export function inlineCode(text: string, max = 300): string {
  if (text.length === 0) return '(empty)';
  const { kept, omitted } = cut(escapedPieces(text, 'code'), max, 2);
  return omitted === 0 ? `\`${kept}\`` : `\`${kept}\`${truncationMarker(omitted)}`;
}

/** Telemetry as a preformatted block of at most `max` characters (long command lines read better this way). */
export function codeBlock(text: string, max = 1500): string {
  if (text.length === 0) return '(empty)';
  const { kept, omitted } = cut(escapedPieces(text, 'code'), max, 6);
  return omitted === 0 ? `\`\`\`${kept}\`\`\`` : `\`\`\`${kept}\`\`\`${truncationMarker(omitted)}`;
}

/** A stored time as "2026-11-27 10:00:00 UTC"; one that does not parse is echoed back, escaped like telemetry. */
export function utcText(iso: string, max = 40): string {
  const formatted = formatUtc(iso);
  return formatted === iso ? truncateEscaped(iso, max) : formatted;
}

const PLAIN_LOOKALIKES: Readonly<Record<string, string>> = { '&': '\uff06', '<': '\u2039', '>': '\u203a' };

/**
 * Text for `plain_text` objects (headers, which allow 150 characters). No entities are emitted at all, so the
 * result reads the same whether or not Slack decodes entities in plain text.
 */
export function plainText(text: string, max = 150): string {
  const chars = Array.from(text);
  const colons = emojiColons(chars);
  const pieces = chars.map((char, index) => commonPiece(chars, index, colons) ?? PLAIN_LOOKALIKES[char] ?? char);
  const full = pieces.join('');
  if (full.length <= max) return full;
  let kept = '';
  for (const piece of pieces) {
    if (kept.length + piece.length > max - 1) break;
    kept += piece;
  }
  return `${kept}…`;
}

/**
 * Joins lines with newlines into at most `max` characters. Lines are never cut: the ones that do not fit are
 * counted and summarised as "… and N more <noun>".
 */
export function joinLines(lines: readonly string[], max: number, noun = 'lines'): string {
  const out: string[] = [];
  let length = 0;
  let index = 0;
  for (; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const remaining = lines.length - index - 1;
    const reserve = remaining > 0 ? `\n… and ${remaining} more ${noun}`.length : 0;
    const added = (out.length > 0 ? 1 : 0) + line.length;
    if (length + added + reserve > max) break;
    out.push(line);
    length += added;
  }
  const omitted = lines.length - index;
  if (omitted > 0) out.push(`… and ${omitted} more ${noun}`);
  return out.join('\n');
}

/** Joins items with a separator into at most `max` characters, ending with "and N more" when some do not fit. */
export function joinCapped(items: readonly string[], max: number, separator = ', '): string {
  let text = '';
  let index = 0;
  for (; index < items.length; index++) {
    const item = items[index] ?? '';
    const remaining = items.length - index - 1;
    const reserve = remaining > 0 ? `${separator}and ${remaining} more`.length : 0;
    const next = text.length === 0 ? item : `${text}${separator}${item}`;
    if (next.length + reserve > max) break;
    text = next;
  }
  const omitted = items.length - index;
  if (omitted === 0) return text;
  return text.length === 0 ? `${omitted} items` : `${text}${separator}and ${omitted} more`;
}
