import type { Watch } from '../../contracts/watch.js';
import type { SlackActor } from '../actor.js';
import type { SlackActionJob } from '../queue/slack-jobs.js';
import type { SlackListenerDeps } from './listener-deps.js';

/** How long a listener waits for the authorization look-up before opening a modal anyway (the job checks again). */
const PRECHECK_MS = 1_200;

export const nowOf = (deps: SlackListenerDeps): number => (deps.now ?? Date.now)();

export const actorOf = (user: { id: string; username?: string | undefined; name?: string | undefined }): SlackActor => {
  const name = user.username ?? user.name;
  return name === undefined || name === '' ? { user_id: user.id } : { user_id: user.id, name };
};

/**
 * Takes an action in: the first delivery of an interaction is queued for a worker, a Slack retry of it is ignored.
 * False for a retry. If queueing fails the claim is dropped, so Slack's own retry can succeed.
 */
export async function takeIn(deps: SlackListenerDeps, job: SlackActionJob): Promise<boolean> {
  if (!(await deps.ledger.claim(job.ref))) return false;
  try {
    await deps.queue.action(job);
  } catch (error) {
    await deps.ledger.release(job.ref);
    throw error;
  }
  return true;
}

/**
 * A quick authorization check before a modal opens (a trigger id lasts 3 s): `refused` spares the responder a form
 * they may not submit; `unknown` (Slack slow or down) opens it anyway, since the worker checks again.
 */
export async function precheck(deps: SlackListenerDeps, userId: string, watch: Watch): Promise<'allowed' | 'refused' | 'unknown'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'unknown'>((resolve) => {
    timer = setTimeout(() => resolve('unknown'), PRECHECK_MS);
  });
  const check = deps.authorizer.check(userId, watch).then(
    (result) => (result.allowed ? ('allowed' as const) : ('refused' as const)),
    (error: unknown) => {
      deps.logger.warn({ watch_id: watch.id, err: error instanceof Error ? error.message : String(error) }, 'authorization look-up failed');
      return 'unknown' as const;
    },
  );
  try {
    return await Promise.race([check, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
