import { formatDuration } from '../../contracts/duration.js';
import type { Watch } from '../../contracts/watch.js';
import { WatchClosedError, WatchNotFoundError } from '../../watch/watch-service.js';
import { auditName } from '../actor.js';
import { extendNote, stopNote } from '../messages/notes.js';
import { extendDone, stopDone, watchClosed, watchGone } from '../messages/replies.js';
import type { SlackActionJob } from '../queue/slack-jobs.js';
import type { SlackActionDeps } from './action-deps.js';

type JobOf<K extends SlackActionJob['kind']> = Extract<SlackActionJob, { kind: K }>;

/** Runs a lifecycle change; a watch that closed or vanished meanwhile gets an answer, not an error. */
async function lifecycle(deps: SlackActionDeps, watch: Watch, job: SlackActionJob, change: () => Promise<Watch>): Promise<Watch | undefined> {
  try {
    return await change();
  } catch (error) {
    if (error instanceof WatchClosedError) await deps.replies.send(job.ref, job.reply, watchClosed(watch));
    else if (error instanceof WatchNotFoundError) await deps.replies.send(job.ref, job.reply, watchGone(watch.id));
    else throw error;
    return undefined;
  }
}

/** Extend: a later close, a note in the thread, and (for the slash command) an answer to the one who asked. */
export async function extend(deps: SlackActionDeps, watch: Watch, job: JobOf<'extend'>): Promise<void> {
  const extended = await lifecycle(deps, watch, job, () => deps.service.extend(watch.id, job.by_ms, { actor: auditName(job.actor) }, job.ref));
  if (extended === undefined) return;
  const byText = formatDuration(job.by_ms);
  await deps.notes.publishNote(await deps.views.build(extended), job.ref, extendNote(extended, job.actor, byText, (deps.now ?? Date.now)()));
  if (job.reply.response_url !== undefined) await deps.replies.send(job.ref, job.reply, extendDone(extended, byText));
}

/** Stop: the close job takes a last look at the sources and posts the verdict. */
export async function stop(deps: SlackActionDeps, watch: Watch, job: JobOf<'stop'>): Promise<void> {
  const stopped = await lifecycle(deps, watch, job, () => deps.service.stop(watch.id, job.reason, { actor: auditName(job.actor) }, job.ref));
  if (stopped === undefined) return;
  await deps.notes.publishNote(await deps.views.build(stopped), job.ref, stopNote(stopped, job.actor, job.reason));
  if (job.reply.response_url !== undefined) await deps.replies.send(job.ref, job.reply, stopDone(stopped));
}
