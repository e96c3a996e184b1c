import type { App, Middleware, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { ModalContextSchema, VIEW, decodeValue, type ModalContext } from '../ids.js';
import { readBenign, readExtend, readStop, type Submission } from '../messages/modals.js';
import { ViewSubmissionSchema, type ViewSubmissionPayload } from '../payloads.js';
import type { SlackActionJob } from '../queue/slack-jobs.js';
import { interactionKey } from './interaction-ledger.js';
import { actorOf, nowOf, takeIn } from './intake.js';
import type { SlackListenerDeps } from './listener-deps.js';

type SubmitListener = Middleware<SlackViewMiddlewareArgs<ViewSubmitAction>>;
type Common = Pick<SlackActionJob, 'ref' | 'at' | 'actor' | 'reply' | 'watch_id'>;

/**
 * A modal submission: invalid input keeps the modal open with the error under the field; valid input is queued
 * (a modal is submitted once, so its view id keys the interaction) and the modal closes.
 */
function submission<T>(
  deps: SlackListenerDeps,
  read: (payload: ViewSubmissionPayload) => Submission<T>,
  job: (value: T, common: Common, context: ModalContext, now: number) => SlackActionJob | undefined,
): SubmitListener {
  return async ({ body, ack }) => {
    const parsed = ViewSubmissionSchema.safeParse(body);
    const context = parsed.success ? decodeValue(ModalContextSchema, parsed.data.view.private_metadata) : undefined;
    if (!parsed.success || context === undefined) {
      await ack();
      return;
    }
    const payload = parsed.data;
    const value = read(payload);
    if (!value.ok) {
      await ack({ response_action: 'errors', errors: value.errors });
      return;
    }
    const now = nowOf(deps);
    const common: Common = {
      ref: interactionKey('view_submission', payload.view.id, payload.user.id),
      at: new Date(now).toISOString(),
      actor: actorOf(payload.user),
      reply: { user_id: payload.user.id, ...(context.channel_id === undefined ? {} : { channel_id: context.channel_id }) },
      watch_id: context.watch_id,
    };
    const next = job(value.value, common, context, now);
    if (next !== undefined) await takeIn(deps, next);
    await ack();
  };
}

/** Mark benign, Extend… and Stop… forms. */
export function registerViewListeners(app: App, deps: SlackListenerDeps): void {
  app.view<ViewSubmitAction>(
    VIEW.markBenign,
    submission(deps, readBenign, (value, common, context, now) =>
      context.finding_id === undefined
        ? undefined
        : {
            ...common,
            kind: 'mark_benign',
            finding_id: context.finding_id,
            scope: value.scope,
            reason: value.reason,
            ...(value.expiresInMs === undefined ? {} : { expires_at: new Date(now + value.expiresInMs).toISOString() }),
          },
    ),
  );
  app.view<ViewSubmitAction>(VIEW.extend, submission(deps, readExtend, (value, common) => ({ ...common, kind: 'extend', by_ms: value.byMs })));
  app.view<ViewSubmitAction>(VIEW.stop, submission(deps, readStop, (value, common) => ({ ...common, kind: 'stop', reason: value.reason })));
}
