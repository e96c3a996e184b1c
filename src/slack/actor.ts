import * as z from 'zod';

/** A Slack user acting on a watch. */
export const SlackActorSchema = z.object({ user_id: z.string().min(1), name: z.string().optional() });
export type SlackActor = z.infer<typeof SlackActorSchema>;

/** How the audit trail names a Slack user: `slack:U0123ABC (alice)`. */
export const auditName = (actor: SlackActor): string =>
  `slack:${actor.user_id}${actor.name === undefined || actor.name === '' ? '' : ` (${actor.name})`}`;
