import type { types } from '@slack/bolt';
import type { BenignScope, Finding } from '../../contracts/finding.js';
import { parseDuration } from '../../contracts/duration.js';
import type { Watch } from '../../contracts/watch.js';
import { mrkdwnText } from '../render/block-kit.js';
import { destinationLabel, processLabel } from '../../report/describe.js';
import { inlineCode, plainText, utcText } from '../../report/text/mrkdwn.js';
import { parseExtension } from '../command-parser.js';
import { VIEW, encodeValue, type ModalContext } from '../ids.js';
import { inputValue, type ViewSubmissionPayload } from '../payloads.js';

/** Block ids of modal inputs; a validation error names the block it belongs to. */
export const INPUT = { scope: 'scope', reason: 'reason', expiry: 'expiry', duration: 'duration' } as const;

const REASON_MIN = 3;
const REASON_MAX = 500;
const EXPIRY_OPTIONS = [
  ['1d', '1 day'],
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['90d', '90 days'],
] as const;

const plain = (text: string, max = 75): types.PlainTextElement => ({ type: 'plain_text', text: plainText(text, max), emoji: false });
const option = (value: string, text: string): types.PlainTextOption => ({ text: plain(text), value });

function modal(callbackId: string, title: string, submit: string, context: ModalContext, blocks: types.KnownBlock[]): types.ModalView {
  return {
    type: 'modal',
    callback_id: callbackId,
    private_metadata: encodeValue(context),
    title: plain(title, 24),
    submit: plain(submit, 24),
    close: plain('Cancel', 24),
    blocks,
  };
}

const mrkdwnSection = (text: string): types.SectionBlock => ({ type: 'section', text: mrkdwnText(text) });

function reasonInput(label: string, placeholder: string): types.InputBlock {
  return {
    type: 'input',
    block_id: INPUT.reason,
    label: plain(label),
    element: { type: 'plain_text_input', action_id: 'value', multiline: true, min_length: REASON_MIN, max_length: REASON_MAX, placeholder: plain(placeholder, 150) },
  };
}

/** Mark benign: scope, reason, optional expiry. What it will suppress is spelled out before anyone submits. */
export function benignModal(watch: Pick<Watch, 'incident_id'>, finding: Finding, context: ModalContext): types.ModalView {
  const incident = option('incident', `This incident (${watch.incident_id})`);
  return modal(VIEW.markBenign, 'Mark benign', 'Mark benign', context, [
    mrkdwnSection(
      `${inlineCode(processLabel(finding), 200)} on ${inlineCode(finding.host, 200)} to ${inlineCode(destinationLabel(finding), 300)}`,
    ),
    {
      type: 'context',
      elements: [
        mrkdwnText(
          'Future connections of this process to this destination, port and protocol are suppressed: counted, not reported. Connections to a blocked indicator are always reported.',
        ),
      ],
    },
    {
      type: 'input',
      block_id: INPUT.scope,
      label: plain('Where'),
      element: {
        type: 'radio_buttons',
        action_id: 'value',
        initial_option: incident,
        options: [incident, option('everywhere', 'Everywhere: every watch, now and later')],
      },
    },
    reasonInput('Why is this benign?', 'e.g. the backup agent talking to its repository'),
    {
      type: 'input',
      block_id: INPUT.expiry,
      optional: true,
      label: plain('Expires after'),
      element: { type: 'static_select', action_id: 'value', placeholder: plain('Never'), options: EXPIRY_OPTIONS.map(([value, text]) => option(value, text)) },
    },
  ]);
}

export function extendModal(watch: Pick<Watch, 'incident_id' | 'expires_at'>, context: ModalContext): types.ModalView {
  return modal(VIEW.extend, 'Extend the watch', 'Extend', context, [
    mrkdwnSection(`The watch of ${inlineCode(watch.incident_id, 130)} ends ${utcText(watch.expires_at)}.`),
    {
      type: 'input',
      block_id: INPUT.duration,
      label: plain('Extend by'),
      hint: plain('A number and a unit: 90m, 6h, 2d (1m to 30d).', 150),
      element: { type: 'plain_text_input', action_id: 'value', max_length: 12, placeholder: plain('e.g. 6h', 150) },
    },
  ]);
}

export function stopModal(watch: Pick<Watch, 'incident_id'>, context: ModalContext): types.ModalView {
  return modal(VIEW.stop, 'Stop the watch', 'Stop watching', context, [
    mrkdwnSection(
      `Stop watching ${inlineCode(watch.incident_id, 130)} now? The sources get a last look, then the verdict is posted in the thread.`,
    ),
    reasonInput('Why stop now?', 'e.g. host reimaged and back in service'),
  ]);
}

export type Submission<T> = { ok: true; value: T } | { ok: false; errors: Record<string, string> };

/** Newlines and runs of spaces become one space: a reason is one line in the audit trail and the allow-rule. */
// eslint-disable-next-line no-control-regex
const oneLine = (text: string | undefined): string => (text ?? '').replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();

function reasonOf(payload: ViewSubmissionPayload): { reason: string } | { error: string } {
  const reason = oneLine(inputValue(payload, INPUT.reason));
  if (reason.length < REASON_MIN) return { error: `Say in a few words why (at least ${REASON_MIN} characters).` };
  return { reason: reason.slice(0, REASON_MAX) };
}

export function readBenign(payload: ViewSubmissionPayload): Submission<{ scope: BenignScope; reason: string; expiresInMs?: number }> {
  const scope = inputValue(payload, INPUT.scope) === 'everywhere' ? 'everywhere' : 'incident';
  const reason = reasonOf(payload);
  if ('error' in reason) return { ok: false, errors: { [INPUT.reason]: reason.error } };
  const expiry = inputValue(payload, INPUT.expiry);
  const expiresInMs = expiry === undefined ? undefined : parseDuration(expiry);
  return { ok: true, value: { scope, reason: reason.reason, ...(expiresInMs === undefined ? {} : { expiresInMs }) } };
}

export function readExtend(payload: ViewSubmissionPayload): Submission<{ byMs: number }> {
  const extension = parseExtension(oneLine(inputValue(payload, INPUT.duration)));
  return 'error' in extension ? { ok: false, errors: { [INPUT.duration]: extension.error } } : { ok: true, value: extension };
}

export function readStop(payload: ViewSubmissionPayload): Submission<{ reason: string }> {
  const reason = reasonOf(payload);
  return 'error' in reason ? { ok: false, errors: { [INPUT.reason]: reason.error } } : { ok: true, value: reason };
}
