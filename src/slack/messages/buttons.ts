import type { types } from '@slack/bolt';
import { blockId, type Block, type MessageContext } from '../render/block-kit.js';
import { ACTION, encodeValue } from '../ids.js';

const button = (actionId: string, text: string, value: string, style?: 'primary' | 'danger'): types.Button => ({
  type: 'button',
  action_id: actionId,
  text: { type: 'plain_text', text, emoji: true },
  value,
  ...(style === undefined ? {} : { style }),
});

/**
 * The buttons under the product's messages (the reporter's `actions` seam). Values carry ids only; a button that
 * no longer makes sense (Acknowledge on an acknowledged finding, Extend on a closed watch) is left out.
 */
export function slackActions(context: MessageContext): Block[] {
  if (context.kind === 'finding') {
    const value = encodeValue({ watch_id: context.watchId, finding_id: context.findingId });
    const elements: types.Button[] = [];
    if (context.status === 'open') elements.push(button(ACTION.acknowledge, '✔️ Acknowledge', value, 'primary'));
    if (context.status !== 'benign') {
      elements.push(button(ACTION.markBenign, '🟢 Mark benign…', value));
      elements.push(button(ACTION.escalate, '⬆️ Escalate', value, 'danger'));
    }
    return elements.length === 0 ? [] : [{ type: 'actions', block_id: blockId('finding', context.findingId, 'actions'), elements }];
  }
  if (context.kind === 'status' && !context.closed) {
    const value = encodeValue({ watch_id: context.watchId });
    return [
      {
        type: 'actions',
        block_id: blockId('status', context.watchId, 'actions'),
        elements: [
          button(ACTION.extend12h, '⏱️ Extend 12h', value),
          button(ACTION.extend24h, '⏱️ Extend 24h', value),
          button(ACTION.extendCustom, 'Extend…', value),
          button(ACTION.stop, '🛑 Stop…', value, 'danger'),
        ],
      },
    ];
  }
  return [];
}
