import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/lib/keys.js';
import type { ListedAllowRule } from '../../src/stores/allow-rule-store.js';
import { ACTION, VIEW, encodeValue } from '../../src/slack/ids.js';
import { SLACK_CHANNEL, type Pipeline } from '../helpers/pipeline.js';
import { TEST_REDIS_URL } from '../helpers/redis.js';
import {
  COMMANDER,
  ONCALL_GROUP,
  RESPONDER,
  STRANGER,
  auditOf,
  findingOf,
  modalsOpened,
  replyOf,
  slackActionsDone,
  startSlackPipeline,
  strangerRefusedAForm,
  threadNotes,
  watchWithFinding,
} from '../helpers/slack-pipeline.js';
import { buttonClick, sendInteraction, viewSubmission } from '../helpers/slack-requests.js';
import { waitFor } from '../helpers/wait.js';

const blocksOf = (message: { blocks?: unknown } | undefined): string => JSON.stringify(message?.blocks ?? []);

describe('responders act on a finding from its Slack message', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  it('Acknowledge: a stranger is refused and nothing changes; a channel member acknowledges once, even when Slack retries the click', async () => {
    pipeline = await startSlackPipeline();
    const { watchId, finding, reply } = await watchWithFinding(pipeline);
    const value = encodeValue({ watch_id: watchId, finding_id: finding.id });
    expect(blocksOf(reply)).toContain(ACTION.acknowledge);
    expect(JSON.parse(value)).toEqual({ watch_id: watchId, finding_id: finding.id });

    const refused = await sendInteraction(pipeline.api.url, buttonClick({ user: STRANGER, channel: SLACK_CHANNEL, actionId: ACTION.acknowledge, value }));
    expect(refused.status).toBe(200);
    await slackActionsDone(pipeline);
    const refusal = pipeline.slack.ephemerals().find((message) => message.user === STRANGER.id);
    expect(refusal).toMatchObject({ channel: SLACK_CHANNEL });
    expect(refusal?.text).toMatch(/sorry.*not allowed to acknowledge/i);
    expect((await findingOf(pipeline, watchId, finding.id))?.status).toBe('open');
    expect((await auditOf(pipeline, watchId)).map((entry) => entry.action)).not.toContain('acknowledge');

    const click = buttonClick({ user: RESPONDER, channel: SLACK_CHANNEL, actionId: ACTION.acknowledge, value });
    expect((await sendInteraction(pipeline.api.url, click)).status).toBe(200);
    const acknowledged = await waitFor(async () => {
      const current = await findingOf(pipeline!, watchId, finding.id);
      return current?.status === 'acknowledged' ? current : undefined;
    }, { what: 'the acknowledgement' });
    expect(acknowledged.acknowledged).toMatchObject({ by: 'slack:U0RESPOND1 (alice)', slack_user_id: RESPONDER.id });
    await waitFor(async () => /Acknowledged\* by/.test(blocksOf(replyOf(pipeline!, finding.id))), { what: 'the finding message to show who acknowledged it' });
    expect(blocksOf(replyOf(pipeline, finding.id))).not.toContain(ACTION.acknowledge);

    const before = await slackActionsDone(pipeline);
    expect((await sendInteraction(pipeline.api.url, click, { retryNum: 1 })).status).toBe(200);
    expect(await slackActionsDone(pipeline)).toEqual(before);
    const audit = await auditOf(pipeline, watchId);
    expect(audit.filter((entry) => entry.action === 'acknowledge')).toEqual([
      expect.objectContaining({ actor: 'slack:U0RESPOND1 (alice)', detail: expect.stringContaining(finding.id) }),
    ]);
  });

  it('Escalate: the finding goes one severity up and the incident commander and on-call group are mentioned in the thread, once', async () => {
    pipeline = await startSlackPipeline();
    const { watchId, finding } = await watchWithFinding(pipeline);
    expect(finding.severity).toBe('high');
    const value = encodeValue({ watch_id: watchId, finding_id: finding.id });

    await sendInteraction(pipeline.api.url, buttonClick({ user: STRANGER, channel: SLACK_CHANNEL, actionId: ACTION.escalate, value }));
    await slackActionsDone(pipeline);
    expect(pipeline.slack.ephemerals().filter((message) => message.user === STRANGER.id)).toHaveLength(1);
    expect((await findingOf(pipeline, watchId, finding.id))?.severity).toBe('high');
    expect(threadNotes(pipeline)).toHaveLength(0);

    const click = buttonClick({ user: RESPONDER, channel: SLACK_CHANNEL, actionId: ACTION.escalate, value });
    await sendInteraction(pipeline.api.url, click);
    await sendInteraction(pipeline.api.url, click, { retryNum: 1 });
    await sendInteraction(pipeline.api.url, click, { retryNum: 2 });
    await slackActionsDone(pipeline);

    const escalated = await findingOf(pipeline, watchId, finding.id);
    expect(escalated).toMatchObject({ severity: 'critical', escalated: { from: 'high', slack_user_id: RESPONDER.id } });
    const notes = await waitFor(async () => (threadNotes(pipeline!).length > 0 ? threadNotes(pipeline!) : undefined), { what: 'the escalation note' });
    expect(notes).toHaveLength(1);
    const note = blocksOf(notes[0]);
    expect(note).toContain(`<@${COMMANDER}>`);
    expect(note).toContain(`<!subteam^${ONCALL_GROUP}>`);
    expect(note).toContain(`<@${RESPONDER.id}>`);
    expect((await auditOf(pipeline, watchId)).filter((entry) => entry.action === 'escalate')).toEqual([
      expect.objectContaining({ detail: expect.stringMatching(/from high to critical/) }),
    ]);
    await waitFor(async () => /Critical/.test(blocksOf(replyOf(pipeline!, finding.id))), { what: 'the finding message to show the new severity' });
  });

  it('Mark benign: the modal opens for a member only, checks the reason, and its rule silences the fallback in this incident until it is deleted through the API', async () => {
    pipeline = await startSlackPipeline();
    const { watchId, finding } = await watchWithFinding(pipeline);
    const value = encodeValue({ watch_id: watchId, finding_id: finding.id });

    const stranger = buttonClick({ user: STRANGER, channel: SLACK_CHANNEL, actionId: ACTION.markBenign, value, triggerId: 'trigger-stranger-benign' });
    const refused = await strangerRefusedAForm(pipeline, stranger, { scope: { option: 'incident' }, reason: { text: 'not mine to judge' }, expiry: { option: '7d' } }, /not allowed/);
    expect((await findingOf(pipeline, watchId, finding.id))?.status).toBe('open');

    const click = buttonClick({ user: RESPONDER, channel: SLACK_CHANNEL, actionId: ACTION.markBenign, value, triggerId: 'trigger-benign-1' });
    expect((await sendInteraction(pipeline.api.url, click)).status).toBe(200);
    const opened = await waitFor(async () => modalsOpened(pipeline!).find((view) => view.trigger_id === 'trigger-benign-1'), { what: 'the modal' });
    expect(opened.view).toMatchObject({ type: 'modal', callback_id: VIEW.markBenign });
    await sendInteraction(pipeline.api.url, click, { retryNum: 1 });
    expect(modalsOpened(pipeline).filter((view) => view.trigger_id === 'trigger-benign-1')).toHaveLength(1);

    const metadata = String(opened.view.private_metadata);
    const tooShort = await sendInteraction(
      pipeline.api.url,
      viewSubmission({ user: RESPONDER, view: { callback_id: VIEW.markBenign, private_metadata: metadata }, values: { scope: { option: 'incident' }, reason: { text: ' k ' } } }),
    );
    expect(tooShort.body).toMatchObject({ response_action: 'errors', errors: { reason: expect.stringMatching(/at least 3 characters/) } });

    const submission = viewSubmission({
      user: RESPONDER,
      view: { callback_id: VIEW.markBenign, private_metadata: metadata, id: 'V0BENIGN01' },
      values: { scope: { option: 'incident' }, reason: { text: 'Our own\nred-team implant,\tapproved' }, expiry: { option: '7d' } },
    });
    expect((await sendInteraction(pipeline.api.url, submission)).body).toBe('');
    await sendInteraction(pipeline.api.url, submission, { retryNum: 1 });
    const done = await slackActionsDone(pipeline);

    const marked = await findingOf(pipeline, watchId, finding.id);
    expect(marked?.status).toBe('benign');
    expect(marked?.benign).toMatchObject({ by: 'slack:U0RESPOND1 (alice)', scope: 'incident', reason: 'Our own red-team implant, approved' });
    const ruleId = marked!.benign!.rule_id;
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const stored = JSON.parse((await redis.hget(redisKeys(pipeline.prefix).allowRules, ruleId)) ?? '{}');
      expect(stored).toMatchObject({
        created_by: 'slack:U0RESPOND1 (alice)',
        origin: { watch_id: watchId, finding_id: finding.id, incident_id: 'INC-2041' },
        rule: { id: ruleId, incident_id: 'INC-2041', process_path: 'C:\\Windows\\System32\\rundll32.exe', dst_cidr: '192.0.2.44/32', port: 8443, protocol: 'tcp' },
      });
      expect(Date.parse(stored.rule.expires) - Date.parse(marked!.benign!.at)).toBe(7 * 86_400_000);
    } finally {
      redis.disconnect();
    }
    const confirmation = pipeline.slack.ephemerals().find((message) => message.user === RESPONDER.id);
    expect(confirmation?.text).toContain(ruleId);
    expect((await auditOf(pipeline, watchId)).filter((entry) => entry.action === 'mark_benign')).toHaveLength(1);
    expect(done).toEqual({ completed: refused.completed + 1, failed: refused.failed });

    // rundll32 beacons every ~7 s: the next beacon meets the new rule and is counted as suppressed, not reported.
    await waitFor(async () => ((await pipeline!.watch(watchId)).suppressed.by_rule[ruleId] ?? 0) > 0, { what: 'the rule to suppress the next beacon' });
    await waitFor(async () => /Marked benign\* by/.test(blocksOf(replyOf(pipeline!, finding.id))), { what: 'the finding message to show who marked it' });

    const listed = await pipeline.get<{ rules: ListedAllowRule[] }>('/v1/allow-rules');
    expect(listed.rules).toEqual([expect.objectContaining({ id: ruleId, created_by: 'slack:U0RESPOND1 (alice)', expired: false, origin: expect.objectContaining({ watch_id: watchId }) })]);
    const deleted = await pipeline.delete(`/v1/allow-rules/${ruleId}`);
    expect(deleted.status).toBe(200);
    expect(deleted.data).toMatchObject({ removed: { id: ruleId, created_by: 'slack:U0RESPOND1 (alice)' } });
    expect((await pipeline.delete(`/v1/allow-rules/${ruleId}`)).data).toMatchObject({ error: 'not_found', code: 'request.not_found' });
    expect((await pipeline.get<{ rules: ListedAllowRule[] }>('/v1/allow-rules')).rules).toEqual([]);
    expect((await auditOf(pipeline, watchId)).filter((entry) => entry.action === 'allow_rule_removed')).toEqual([
      expect.objectContaining({ actor: expect.any(String), detail: expect.stringContaining(ruleId) }),
    ]);

    // Without the rule, the next beacon is counted on the finding again, and no longer as suppressed.
    const suppressedBefore = (await pipeline.watch(watchId)).suppressed.by_rule[ruleId] ?? 0;
    const countBefore = (await findingOf(pipeline, watchId, finding.id))!.count;
    await waitFor(async () => (await findingOf(pipeline!, watchId, finding.id))!.count > countBefore, { what: 'the next beacon to count on the finding' });
    expect((await pipeline.watch(watchId)).suppressed.by_rule[ruleId] ?? 0).toBeLessThanOrEqual(suppressedBefore + 1);
  });
});
