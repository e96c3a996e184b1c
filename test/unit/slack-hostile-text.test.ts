import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printable } from '../../src/contracts/common.js';
import { FindingSchema, type Finding } from '../../src/contracts/finding.js';
import { WatchViewSchema, type WatchView } from '../../src/contracts/watch.js';
import type { SlackMessage } from '../../src/slack/render/block-kit.js';
import { findingMessage, statusMessage, verdictMessage } from '../../src/slack/render/blocks.js';
import type { SlackActor } from '../../src/slack/actor.js';
import { homeView } from '../../src/slack/home/home-view.js';
import { slackActions } from '../../src/slack/messages/buttons.js';
import { helpReply, listReply, statusReply } from '../../src/slack/messages/command-replies.js';
import { benignModal, extendModal, stopModal } from '../../src/slack/messages/modals.js';
import { escalationNote, extendNote, stopNote } from '../../src/slack/messages/notes.js';
import {
  alreadyDecided,
  benignDone,
  extendDone,
  findingGone,
  noActiveWatch,
  channelText,
  refusal,
  stopDone,
  watchClosed,
  watchGone,
} from '../../src/slack/messages/replies.js';

/**
 * Every Slack surface the product renders, fed attacker-chosen strings in every field telemetry, a SOAR or a
 * responder controls, checked on the JSON that would be sent: Slack's documented Block Kit limits, and no link,
 * mention, formatting, emoji or hidden character that came from the input.
 */

const NOW = Date.parse('2026-11-27T10:48:00Z');
/** The product's own mentions, built from validated ids only. */
const ESCALATION = { users: ['U0123ABC'], user_groups: ['S0123ABC'] };
const OWN_MENTIONS = /<@U0123ABC>|<!subteam\^S0123ABC>|<#C07ABCDEF12>/g;

const HOSTILE_PIECES = [
  '*bold*',
  '_italic_',
  '~strike~',
  '`code`',
  '```block```',
  '> quoted',
  '\n> quoted',
  '\n&gt; quoted',
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<!subteam^S123>',
  '<@U0123ABC>',
  '<#C0123|x>',
  '<https://evil.example|click>',
  'www.evil-c2.com',
  'https://evil.example/x',
  'mailto:a@evil.example',
  '<mailto:a@evil.example|mail>',
  '@channel',
  '@here',
  ':skull:',
  ':white_check_mark:',
  ':+1:',
  ':skull:skull:',
  ':',
  '&amp;',
  '&lt;',
  '&',
  '<',
  '>',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u2060',
  '\ufeff',
  '\u00ad',
  '\u202e',
  '\u2066',
  '\u061c',
  '\u2028',
  '\ud800',
  '\udfff',
  '\u0007',
  '\u001b[31m',
];
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\u00ad\u061c\u2028\u2029]/;

/** Fragments glued together: hostile constructs, and random text that may land next to them. */
const hostile = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ unit: 'binary', maxLength: 6 }), fc.string({ maxLength: 6 })), {
    minLength: 1,
    maxLength: 8,
  })
  .map((parts) => parts.join(''));
/** What a containment request may hold in a field its schema bounds (no invisible or control characters). */
const requestText = (max: number) =>
  fc
    .array(fc.oneof(fc.constantFrom(...HOSTILE_PIECES.filter((piece) => printable(max).safeParse(piece).success)), fc.string({ maxLength: 6 })), {
      minLength: 1,
      maxLength: 6,
    })
    .map((parts) => parts.join(''))
    .filter((text) => printable(max).safeParse(text).success);
const commandLine = fc.oneof(
  hostile,
  hostile.map((text) => `${text} `.repeat(Math.ceil(30_000 / (text.length + 1))).slice(0, 30_000)),
);

const iso = (ms: number) => new Date(ms).toISOString();

const viewArb = fc
  .record({
    incident: requestText(128),
    title: requestText(500),
    control: requestText(200),
    hostname: requestText(255),
    edr: requestText(128),
    source: requestText(64),
    hostile: fc.array(hostile, { minLength: 8, maxLength: 8 }),
    state: fc.constantFrom('baseline' as const, 'watching' as const, 'closed' as const),
    leftMs: fc.constantFrom(30_000, 3_600_000, -1),
    lagMs: fc.constantFrom(0, 500, 90_000),
  })
  .map(({ incident, title, control, hostname, edr, source, hostile: h, state, leftMs, lagMs }) =>
    WatchViewSchema.parse({
      id: 'w-0a1b2c3d4e5f6071',
      incident_id: incident,
      title,
      slack_channel: 'C07ABCDEF12',
      control,
      blocked: [
        { type: 'domain', value: 'www.evil-c2.com' },
        { type: 'ip', value: '203.0.113.7' },
      ],
      blocked_at: '2026-11-27T10:00:00Z',
      hosts: [
        { hostname, baseline: 'ready' },
        { ip: '10.0.0.9', edr_id: edr, baseline: 'unavailable' },
      ],
      sources: [source],
      duration_ms: 86_400_000,
      poll_interval_ms: 60_000,
      baseline_ms: 604_800_000,
      state,
      ...(state === 'closed' ? { verdict: 'breached', verdict_reasons: [h[1], h[2]], closed_at: iso(NOW), stop_reason: h[3] } : {}),
      recovery: { baseline_redrives: 1, close_redrives: 0, last_at: iso(NOW - 60_000), last_reason: h[4] },
      opened_by: h[5],
      created_at: '2026-11-27T10:00:05Z',
      updated_at: iso(NOW),
      expires_at: iso(NOW + leftMs),
      action_ids: [],
      audit: [],
      findings: { total: 2, by_severity: { info: 0, low: 0, medium: 1, high: 1, critical: 0 } },
      suppressed: { count: 3, by_rule: { [h[6] ?? 'rule']: 3 } },
      coverage: [
        {
          source,
          polled_hosts: [hostname],
          consecutive_failures: 2,
          last_success_at: iso(NOW - 120_000),
          last_error_at: iso(NOW - 60_000),
          last_error: h[7],
          lag_ms: lagMs,
          events_seen: 12,
          hosts_seen: [hostname],
          hosts_invisible: [{ host: h[0], reason: h[1] }],
          gaps: [{ from: iso(NOW - 600_000), to: iso(NOW - 300_000), reason: h[2] }],
          hosts_unseen: [],
        },
      ],
      quiet_hosts: [{ host: hostname, last_heard: iso(NOW - 600_000) }],
      slack_delivery: { problem: h[3], channel: h[4], fallback_channel: 'C07ABCDEF12', at: iso(NOW) },
      status_url: 'http://127.0.0.1:8080/v1/watches/w-0a1b2c3d4e5f6071',
    }),
  );

const findingArb = fc
  .record({ hostile: fc.array(hostile, { minLength: 10, maxLength: 10 }), cmdLine: commandLine, status: fc.constantFrom('open' as const, 'acknowledged' as const, 'benign' as const) })
  .map(({ hostile: h, cmdLine, status }) =>
    FindingSchema.parse({
      id: 'f-9a8b7c6d5e4f3021',
      watch_id: 'w-0a1b2c3d4e5f6071',
      host: h[0],
      process: { name: h[1], path: h[2], cmd_line: cmdLine, user: h[3], sha1: h[4], pid: 4242, parent_name: h[5] },
      dst: { ip: '2001:db8::ab:1', port: 8443, hostname: h[6] },
      protocol: 'tcp',
      kind: ['new_destination', 'beaconing'],
      severity: 'high',
      score: 82,
      reasons: [h[7], h[8]],
      connected: true,
      first_seen: iso(NOW - 300_000),
      last_seen: iso(NOW),
      count: 3,
      retry_rate: { minutes: 2, peak: 5, peak_minute: iso(NOW - 120_000) },
      sources: [h[9]],
      status,
      acknowledged: { by: h[1], slack_user_id: 'U0123ABC', at: iso(NOW) },
      ...(status === 'benign'
        ? { benign: { by: h[2], slack_user_id: h[3], at: iso(NOW), reason: h[4], scope: 'incident', rule_id: 'ar-1', expires: iso(NOW + 86_400_000) } }
        : {}),
      escalated: { by: h[5], at: iso(NOW), from: 'medium' },
    }),
  );

interface Surfaces {
  messages: SlackMessage[];
  modals: Array<{ blocks: unknown[]; title: unknown; submit?: unknown; close?: unknown }>;
  homes: Array<{ blocks: unknown[] }>;
}

function renderAll(view: WatchView, finding: Finding, words: string[]): Surfaces {
  const [name = '', reason = '', incident = '', word = ''] = words;
  // Whom a refusal names comes from the webhook's validated slack_channel or the config: a channel id there is shown
  // as a link on purpose (the own C07ABCDEF12 stands for one); hostile text can only be a channel name.
  const channel = channelText(word).startsWith('<#') ? 'C07ABCDEF12' : word;
  const actor: SlackActor = { user_id: 'U0123ABC', name };
  const closed = WatchViewSchema.parse({ ...view, state: 'closed', verdict: 'breached', closed_at: iso(NOW) });
  const other = WatchViewSchema.parse({ ...view, id: 'w-1a1b2c3d4e5f6071' });
  const context = { watch_id: view.id, finding_id: finding.id, channel_id: 'C07ABCDEF12' };
  return {
    messages: [
      statusMessage(view, { now: NOW, actions: slackActions }),
      findingMessage(view, finding, { now: NOW, actions: slackActions }),
      verdictMessage(closed, [finding, finding], { now: NOW, actions: slackActions }),
      escalationNote(view, finding, actor, ESCALATION),
      escalationNote(view, finding, { user_id: 'U0123ABC' }, { users: [], user_groups: [] }),
      extendNote(view, actor, '12h', NOW),
      stopNote(view, actor, reason),
      refusal('stop', view, { channel: 'C07ABCDEF12', users: ['U0123ABC'], userGroups: ['S0123ABC'] }),
      refusal('extend', view, { channel, users: [], userGroups: [reason] }),
      watchGone(view.id),
      findingGone(incident),
      watchClosed(view),
      noActiveWatch(incident),
      alreadyDecided('benign', finding.benign ?? finding.acknowledged),
      benignDone({ ruleId: 'ar-1', scope: 'incident', incidentId: view.incident_id, watches: 2, expires: iso(NOW) }),
      extendDone(view, '12h'),
      stopDone(view),
      helpReply('/containment'),
      listReply([view, closed], NOW),
      statusReply(view, NOW),
    ],
    modals: [benignModal(view, finding, context), extendModal(view, context), stopModal(view, context)],
    homes: [homeView([view, other], NOW), homeView([], NOW)],
  };
}

type Json = { [key: string]: Json } | Json[] | string | number | boolean | null;
type Node = { [key: string]: Json };

const isNode = (value: Json | undefined): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: Json | undefined): string => (isNode(value) && typeof value.text === 'string' ? value.text : '');

function* strings(value: Json): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const item of value) yield* strings(item);
  else if (isNode(value)) for (const item of Object.values(value)) yield* strings(item);
}

function* nodes(value: Json): Generator<Node> {
  if (Array.isArray(value)) for (const item of value) yield* nodes(item);
  else if (isNode(value)) {
    yield value;
    for (const item of Object.values(value)) yield* nodes(item);
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const SHORTCODE = /:[\p{L}\p{N}_+'-]+:/u;
/** The product's own times (10:48:00) are the only colon pairs it writes. */
const withoutTimes = (value: string) => value.replace(/\d{2}:\d{2}(?::\d{2})?/g, '');
/** A code span holding only an address shows it exactly, to be copied: its colons are left alone (see mrkdwn.ts). */
const withoutAddresses = (value: string) => value.replace(/`([^`\n]*)`/g, (span, inner: string) => (isIP(inner) === 0 ? span : '``'));

/** What is left of mrkdwn outside the product's own code spans and blocks. */
const outsideCode = (mrkdwn: string) => mrkdwn.replace(/```[^`]*```/g, ' ').replace(/`[^`\n]*`/g, ' ');

/** No live link, mention, formatting, emoji or hidden character in one mrkdwn text (a text object or `text`). */
function expectInertMrkdwn(mrkdwn: string): void {
  const own = mrkdwn.replace(OWN_MENTIONS, '');
  expect(own).not.toMatch(/[<>]/);
  expect(own).not.toMatch(/&(?!amp;|lt;|gt;)/);
  expect(mrkdwn).not.toMatch(/^[ \t]*(?:>|&gt;)/m);
  expect(mrkdwn).not.toMatch(/@(?:here|channel|everyone)/i);
  expect(withoutAddresses(withoutTimes(mrkdwn))).not.toMatch(SHORTCODE);
  const outside = outsideCode(mrkdwn);
  expect(outside).not.toMatch(/[`_~]/);
  // The product's bold labels are whole pairs on one line; a leaked marker would leave one unpaired.
  for (const line of outside.split('\n')) expect((line.match(/\*/g) ?? []).length % 2).toBe(0);
  for (const piece of ['*bold*', '_italic_', '~strike~', '```block```']) expect(outside).not.toContain(piece);
}

function expectWithinLimits(blocks: Json[], maxBlocks: number, inputsAllowed: boolean): void {
  expect(blocks.length).toBeLessThanOrEqual(maxBlocks);
  const ids = blocks.map((block) => (isNode(block) && typeof block.block_id === 'string' ? block.block_id : undefined)).filter((id) => id !== undefined);
  expect(new Set(ids).size).toBe(ids.length);
  for (const id of ids) expect(id.length).toBeLessThanOrEqual(255);
  for (const block of blocks) {
    if (!isNode(block)) continue;
    if (block.type === 'section') expect(text(block.text).length).toBeLessThanOrEqual(3000);
    if (block.type === 'header') expect(text(block.text).length).toBeLessThanOrEqual(150);
    if (block.type === 'context') expect(Array.isArray(block.elements) ? block.elements.length : 0).toBeLessThanOrEqual(10);
    if (block.type === 'input') {
      expect(text(block.label).length).toBeLessThanOrEqual(2000);
      expect(inputsAllowed).toBe(true);
    }
  }
  for (const node of nodes(blocks)) {
    if (node.type === 'button') {
      expect(text(node.text).length).toBeLessThanOrEqual(75);
      expect(typeof node.value === 'string' ? node.value.length : 0).toBeLessThanOrEqual(2000);
      expect(typeof node.action_id === 'string' ? node.action_id.length : 0).toBeLessThanOrEqual(255);
    }
    if (isNode(node.placeholder)) expect(text(node.placeholder).length).toBeLessThanOrEqual(150);
    if (Array.isArray(node.options)) for (const option of node.options) expect(text(isNode(option) ? option.text : null).length).toBeLessThanOrEqual(75);
  }
}

/** Checks that hold for every payload: text objects, hidden characters, well-formed JSON. */
function expectInertPayload(payload: Json): void {
  const json = JSON.stringify(payload);
  expect(() => JSON.parse(json) as unknown).not.toThrow();
  for (const value of strings(payload)) {
    expect(value).not.toMatch(LONE_SURROGATE);
    expect(value).not.toMatch(INVISIBLE);
  }
  for (const node of nodes(payload)) {
    if (node.type === 'mrkdwn') {
      expect(node.verbatim).toBe(true);
      expectInertMrkdwn(typeof node.text === 'string' ? node.text : '');
    }
    if (node.type === 'plain_text' && node.emoji !== false) expect(withoutTimes(text(node))).not.toMatch(SHORTCODE);
  }
}

const blockIdsOf = (blocks: readonly unknown[]) =>
  blocks.map((block) => (isNode(block as Json) ? (block as Node).block_id : undefined)).filter((id): id is string => typeof id === 'string');

describe('hostile text on every Slack surface', () => {
  it('stays within Block Kit limits and never becomes a link, mention, format, emoji or hidden character', () => {
    fc.assert(
      fc.property(viewArb, findingArb, fc.array(hostile, { minLength: 4, maxLength: 4 }), (view, finding, words) => {
        const first = renderAll(view, finding, words);
        for (const message of first.messages) {
          const blocks = message.blocks as unknown as Json[];
          expectWithinLimits(blocks, 50, false);
          expect(message.text.length).toBeLessThanOrEqual(3000);
          expectInertMrkdwn(message.text);
          expectInertPayload({ text: message.text, blocks });
        }
        for (const modal of first.modals) {
          expectWithinLimits(modal.blocks as Json[], 100, true);
          for (const part of [modal.title, modal.submit, modal.close]) expect(text(part as Json).length).toBeLessThanOrEqual(24);
          expectInertPayload(modal as unknown as Json);
        }
        for (const home of first.homes) {
          expectWithinLimits(home.blocks as Json[], 100, false);
          expectInertPayload(home as unknown as Json);
        }

        // A chat.update (or a Home refresh) sends a new rendering: none of its block ids may repeat the last one's.
        const second = renderAll(view, finding, words);
        [...first.messages, ...first.homes].forEach((rendered, index) => {
          const again = [...second.messages, ...second.homes][index];
          const before = new Set(blockIdsOf(rendered.blocks));
          expect(blockIdsOf(again?.blocks ?? []).filter((id) => before.has(id))).toEqual([]);
        });
      }),
      { numRuns: 300 },
    );
  });
});
