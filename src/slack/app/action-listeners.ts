import type { App, BlockAction, Middleware, SlackActionMiddlewareArgs, webApi } from '@slack/bolt';
import type { types } from '@slack/bolt';
import type { Watch } from '../../contracts/watch.js';
import { OPEN_REPORT_ACTION } from '../render/blocks.js';
import { ACTION, FindingRefSchema, WatchRefSchema, decodeValue, type ModalContext } from '../ids.js';
import { benignModal, extendModal, stopModal } from '../messages/modals.js';
import { findingGone, refusal, watchClosed, watchGone } from '../messages/replies.js';
import { BlockActionsSchema, type BlockActionsPayload } from '../payloads.js';
import type { ReplyTarget, SlackActionKind } from '../queue/slack-jobs.js';
import { interactionKey } from './interaction-ledger.js';
import { actorOf, nowOf, precheck, takeIn } from './intake.js';
import type { SlackListenerDeps } from './listener-deps.js';

type ButtonListener = Middleware<SlackActionMiddlewareArgs<BlockAction>>;

const HOUR = 3_600_000;

interface Click {
  payload: BlockActionsPayload;
  action: BlockActionsPayload['actions'][number];
  key: string;
  reply: ReplyTarget;
}

/** The clicked button, keyed by what stays the same when Slack retries the delivery. */
function clickOf(body: unknown): Click | undefined {
  const parsed = BlockActionsSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const payload = parsed.data;
  const action = payload.actions[0];
  if (action === undefined) return undefined;
  const reply: ReplyTarget = { user_id: payload.user.id, ...(payload.channel === undefined ? {} : { channel_id: payload.channel.id }) };
  return { payload, action, key: interactionKey('block_actions', payload.trigger_id, action.action_id, action.action_ts), reply };
}

/** Buttons that need no form: queued for a worker, acknowledged once queued (well within Slack's 3 s). */
function queued(deps: SlackListenerDeps, kind: 'acknowledge' | 'escalate' | { extendByMs: number }): ButtonListener {
  return async ({ body, ack }) => {
    const click = clickOf(body);
    if (click === undefined) {
      await ack();
      return;
    }
    const common = { ref: click.key, at: new Date(nowOf(deps)).toISOString(), actor: actorOf(click.payload.user), reply: click.reply };
    if (typeof kind === 'object') {
      const ref = decodeValue(WatchRefSchema, click.action.value);
      if (ref !== undefined) await takeIn(deps, { ...common, kind: 'extend', watch_id: ref.watch_id, by_ms: kind.extendByMs });
    } else {
      const ref = decodeValue(FindingRefSchema, click.action.value);
      if (ref !== undefined) await takeIn(deps, { ...common, kind, watch_id: ref.watch_id, finding_id: ref.finding_id });
    }
    await ack();
  };
}

/**
 * Buttons that open a form. The click is acknowledged at once and the modal opened right after, before the trigger
 * id expires; only a quick authorization check comes first, so nobody fills in a form they may not submit.
 */
function withModal(
  deps: SlackListenerDeps,
  kind: SlackActionKind,
  build: (watch: Watch, context: ModalContext, click: Click) => Promise<types.ModalView | undefined>,
): ButtonListener {
  return async ({ body, ack, client }) => {
    await ack();
    const click = clickOf(body);
    const findingRef = decodeValue(FindingRefSchema, click?.action.value);
    const ref = findingRef ?? decodeValue(WatchRefSchema, click?.action.value);
    if (click === undefined || ref === undefined || !(await deps.ledger.claim(click.key))) return;
    const watch = await deps.store.get(ref.watch_id);
    if (watch === undefined) return deps.replies.send(click.key, click.reply, watchGone(ref.watch_id));
    if ((kind === 'extend' || kind === 'stop') && watch.state === 'closed') return deps.replies.send(click.key, click.reply, watchClosed(watch));
    if ((await precheck(deps, click.payload.user.id, watch)) === 'refused') {
      return deps.replies.send(click.key, click.reply, refusal(kind, watch, deps.authorizer.describe(watch)));
    }
    const context: ModalContext = {
      watch_id: watch.id,
      ...(findingRef === undefined ? {} : { finding_id: findingRef.finding_id }),
      ...(click.reply.channel_id === undefined ? {} : { channel_id: click.reply.channel_id }),
    };
    const view = await build(watch, context, click);
    if (view !== undefined) await openModal(client, click.payload.trigger_id, view);
  };
}

async function openModal(client: webApi.WebClient, triggerId: string, view: types.ModalView): Promise<void> {
  await client.views.open({ trigger_id: triggerId, view });
}

/** The buttons on findings and on the status message, and the verdict's link (which only needs an ack). */
export function registerActionListeners(app: App, deps: SlackListenerDeps): void {
  app.action<BlockAction>(OPEN_REPORT_ACTION, async ({ ack }) => ack());
  app.action<BlockAction>(ACTION.acknowledge, queued(deps, 'acknowledge'));
  app.action<BlockAction>(ACTION.escalate, queued(deps, 'escalate'));
  app.action<BlockAction>(ACTION.extend12h, queued(deps, { extendByMs: 12 * HOUR }));
  app.action<BlockAction>(ACTION.extend24h, queued(deps, { extendByMs: 24 * HOUR }));
  app.action<BlockAction>(
    ACTION.markBenign,
    withModal(deps, 'mark_benign', async (watch, context, click) => {
      const stored = context.finding_id === undefined ? undefined : await deps.findings.get(watch.id, context.finding_id);
      if (stored === undefined) {
        await deps.replies.send(click.key, click.reply, findingGone(watch.incident_id));
        return undefined;
      }
      return benignModal(watch, stored.finding, context);
    }),
  );
  app.action<BlockAction>(ACTION.extendCustom, withModal(deps, 'extend', async (watch, context) => extendModal(watch, context)));
  app.action<BlockAction>(ACTION.stop, withModal(deps, 'stop', async (watch, context) => stopModal(watch, context)));
}
