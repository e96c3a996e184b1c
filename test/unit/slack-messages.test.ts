import { describe, expect, it } from 'vitest';
import { FindingSchema, type Finding } from '../../src/contracts/finding.js';
import { findingMessage, statusMessage } from '../../src/slack/render/blocks.js';
import { homeView } from '../../src/slack/home/home-view.js';
import { ACTION, FindingRefSchema, ModalContextSchema, decodeValue } from '../../src/slack/ids.js';
import { slackActions } from '../../src/slack/messages/buttons.js';
import { listReply } from '../../src/slack/messages/command-replies.js';
import { benignModal, extendModal, stopModal } from '../../src/slack/messages/modals.js';
import { escalationNote, stopNote } from '../../src/slack/messages/notes.js';
import { refusal } from '../../src/slack/messages/replies.js';
import { watchViewFixture } from '../helpers/watch-view.js';

const NOW = Date.parse('2026-11-27T10:48:00Z');
const HOSTILE = '<!channel> <https://evil.example|click> @here *b* `c` <@U0VICTIM1>';

const view = watchViewFixture;

function finding(overrides: Partial<Finding> = {}): Finding {
  return FindingSchema.parse({
    id: '2eaa12edca831d51',
    watch_id: 'w-0001',
    host: 'FIN-WS-042',
    process: { name: 'rundll32.exe', path: 'C:\\Windows\\System32\\rundll32.exe' },
    dst: { ip: '192.0.2.44', port: 8443 },
    protocol: 'tcp',
    kind: ['quiet_process'],
    severity: 'high',
    score: 80,
    reasons: [],
    connected: true,
    first_seen: '2026-11-27T10:02:00Z',
    last_seen: '2026-11-27T10:02:00Z',
    count: 1,
    sources: ['mde-prod'],
    status: 'open',
    ...overrides,
  });
}

/** Every string a Slack client renders, so a test can look for what must never be there. */
const rendered = (value: unknown): string => JSON.stringify(value);
const noLiveSyntaxFromTelemetry = (text: string) => {
  expect(text).not.toContain('<!channel>');
  expect(text).not.toContain('<https://evil.example|click>');
  expect(text).not.toContain('<@U0VICTIM1>');
  expect(text).not.toContain('@here');
};

describe('buttons', () => {
  const buttonsOf = (blocks: unknown[]) =>
    blocks.flatMap((block) => ((block as { type: string }).type === 'actions' ? (block as { elements: { action_id: string; value?: string }[] }).elements : []));

  it('carry only ids in their values, and drop the ones that no longer make sense', () => {
    const open = buttonsOf(findingMessage(view(), finding(), { now: NOW, actions: slackActions }).blocks);
    expect(open.map((button) => button.action_id)).toEqual([ACTION.acknowledge, ACTION.markBenign, ACTION.escalate]);
    for (const button of open) {
      expect(decodeValue(FindingRefSchema, button.value)).toEqual({ watch_id: 'w-0001', finding_id: '2eaa12edca831d51' });
      expect(button.value!.length).toBeLessThanOrEqual(2_000);
    }
    const acknowledged = buttonsOf(findingMessage(view(), finding({ status: 'acknowledged' }), { actions: slackActions }).blocks);
    expect(acknowledged.map((button) => button.action_id)).toEqual([ACTION.markBenign, ACTION.escalate]);
    expect(buttonsOf(findingMessage(view(), finding({ status: 'benign' }), { actions: slackActions }).blocks)).toEqual([]);

    const status = buttonsOf(statusMessage(view(), { actions: slackActions }).blocks).map((button) => button.action_id);
    expect(status).toEqual([ACTION.extend12h, ACTION.extend24h, ACTION.extendCustom, ACTION.stop]);
    expect(buttonsOf(statusMessage(view({ state: 'closed', verdict: 'held' }), { actions: slackActions }).blocks)).toEqual([]);
  });

  it('fit within 50 blocks even on the largest finding message', () => {
    const reasons = Array.from({ length: 400 }, (_, index) => `reason ${index} ${'x'.repeat(200)}`);
    const message = findingMessage(view(), finding({ reasons, process: { name: HOSTILE, cmd_line: 'y'.repeat(50_000) } }), { actions: slackActions });
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(message.blocks.at(-1)).toMatchObject({ type: 'actions' });
  });
});

describe('the finding message after a decision', () => {
  it('shows who acknowledged, marked benign or escalated it, without mentioning anyone or letting reasons format', () => {
    const marked = finding({
      status: 'benign',
      severity: 'critical',
      acknowledged: { by: 'slack:U0ALICE001 (alice)', slack_user_id: 'U0ALICE001', at: '2026-11-27T10:05:00Z' },
      benign: { by: 'slack:U0BOB00001 (bob)', at: '2026-11-27T10:06:00Z', reason: HOSTILE, scope: 'incident', rule_id: 'allow-0123456789ab', expires: '2026-12-04T10:06:00Z' },
      escalated: { by: 'slack:U0CAROL001 (carol)', at: '2026-11-27T10:07:00Z', from: 'high' },
    });
    const text = rendered(findingMessage(view(), marked, { now: NOW }).blocks);
    expect(text).toContain('Acknowledged* by `slack:U0ALICE001 (alice)`');
    expect(text).toMatch(/Marked benign\* by `slack:U0BOB00001 \(bob\)` .*this incident until 2026-12-04 10:06:00 UTC.*allow-0123456789ab/);
    expect(text).toContain('Escalated* by `slack:U0CAROL001 (carol)` 2026-11-27 10:07:00 UTC from High to Critical');
    expect(text).not.toContain('<@U0ALICE001>');
    noLiveSyntaxFromTelemetry(text);
  });
});

describe('modals', () => {
  const context = { watch_id: 'w-0001', finding_id: '2eaa12edca831d51', channel_id: 'C07ABCDEF12' };

  it('carry ids only between the click and the submission, and respect Slack limits with hostile telemetry', () => {
    for (const modal of [
      benignModal(view({ incident_id: HOSTILE }), finding({ host: HOSTILE, process: { name: HOSTILE } }), context),
      extendModal(view({ incident_id: HOSTILE }), context),
      stopModal(view({ incident_id: HOSTILE }), context),
    ]) {
      expect(decodeValue(ModalContextSchema, modal.private_metadata)).toEqual(context);
      expect(modal.title.text.length).toBeLessThanOrEqual(24);
      expect(modal.submit?.text.length ?? 0).toBeLessThanOrEqual(24);
      expect(modal.blocks.length).toBeLessThanOrEqual(100);
      noLiveSyntaxFromTelemetry(rendered(modal));
    }
  });

  it('offer this incident (chosen) or everywhere, a reason, and an optional expiry', () => {
    const modal = rendered(benignModal(view(), finding(), context));
    expect(modal).toContain('This incident (INC-2041)');
    expect(modal).toContain('"value":"everywhere"');
    expect(modal).toMatch(/"block_id":"expiry","optional":true/);
  });
});

describe('the App Home board and /containment list', () => {
  it('stay within Slack limits with 200 watches and escape every title', () => {
    const views = Array.from({ length: 200 }, (_, index) => view({ id: `w-${index}`, incident_id: `INC-${index}`, title: HOSTILE, slack_channel: 'general' }));
    const home = homeView(views, NOW);
    expect(home.blocks.length).toBeLessThanOrEqual(100);
    expect(rendered(home)).toContain('… and 155 more');
    noLiveSyntaxFromTelemetry(rendered(home));
    const list = listReply(views, NOW);
    expect(list.blocks.length).toBeLessThanOrEqual(50);
    noLiveSyntaxFromTelemetry(rendered(list));
    for (const block of [...home.blocks, ...list.blocks]) {
      const text = (block as { text?: { text: string } }).text?.text ?? '';
      expect(text.length).toBeLessThanOrEqual(3_000);
    }
  });

  it('shows soonest-ending watches first, with coverage, findings by severity, last poll and a delivery problem', () => {
    const soon = view({
      id: 'w-soon',
      incident_id: 'INC-SOON',
      expires_at: '2026-11-27T11:00:00Z',
      hosts: [
        { hostname: 'A', baseline: 'ready' },
        { hostname: 'B', baseline: 'pending' },
      ],
      coverage: [
        {
          source: 'mde-prod',
          last_success_at: '2026-11-27T10:46:00Z',
          consecutive_failures: 0,
          polled_hosts: [],
          events_seen: 3,
          hosts_seen: ['A'],
          gaps: [],
          hosts_unseen: ['B'],
        },
      ],
      slack_delivery: { problem: 'channel_not_found', channel: 'C07ABCDEF12', fallback_channel: 'C0DEFAULT00', at: '2026-11-27T10:01:00Z' },
    });
    const board = rendered(homeView([view(), soon], NOW));
    expect(board.indexOf('INC-SOON')).toBeLessThan(board.indexOf('INC-2041'));
    expect(board).toContain('12m left');
    expect(board).toMatch(/Hosts:\* 2 \(✅ covered 1 · ⏳ baseline pending 1\)/);
    expect(board).toContain('🔴 high 1');
    expect(board).toContain('Last poll:* 2m ago');
    expect(board).toContain('not in <#C07ABCDEF12>, posting in <#C0DEFAULT00>');
  });
});

describe('notes and answers', () => {
  it('the escalation note mentions only the configured people and group, and escapes the telemetry it quotes', () => {
    const note = escalationNote(view(), finding({ host: HOSTILE, process: { name: HOSTILE } }), { user_id: 'U0ALICE001', name: 'alice' }, {
      users: ['U0COMMAND1'],
      user_groups: ['S0ONCALL01'],
    });
    const text = rendered(note);
    expect(text).toContain('<@U0COMMAND1> <!subteam^S0ONCALL01>');
    expect(text).toContain('<@U0ALICE001>');
    noLiveSyntaxFromTelemetry(text);
    expect(rendered(escalationNote(view(), finding(), { user_id: 'U0ALICE001' }, { users: [], user_groups: [] }))).toContain('no escalation contact is configured');
  });

  it('a stop note quotes the reason escaped; a refusal says who may act instead', () => {
    noLiveSyntaxFromTelemetry(rendered(stopNote(view(), { user_id: 'U0ALICE001' }, HOSTILE)));
    const text = rendered(refusal('stop', view(), { channel: 'C07ABCDEF12', users: ['U0LEAD0001'], userGroups: ['S0RESPOND1'] }));
    expect(text).toMatch(/not allowed to stop the watch of `INC-2041`, so nothing was changed/);
    expect(text).toContain('members of <#C07ABCDEF12>');
    expect(text).toContain('`S0RESPOND1`');
    expect(text).toContain('<@U0LEAD0001>');
  });
});
