import * as z from 'zod';
import { BenignScopeSchema } from '../../contracts/finding.js';
import { SlackActorSchema } from '../actor.js';

/** Where the answer to an interaction goes: the slash command's response_url, else an ephemeral in the channel. */
export const ReplyTargetSchema = z.object({
  user_id: z.string(),
  channel_id: z.string().optional(),
  response_url: z.string().optional(),
});
export type ReplyTarget = z.infer<typeof ReplyTargetSchema>;

const Base = {
  /** The interaction's key: job id, audit `ref` and note key, so a retried interaction changes nothing twice. */
  ref: z.string(),
  /** When the responder acted (ISO); retries reuse it, so what they write is identical. */
  at: z.string(),
  actor: SlackActorSchema,
  reply: ReplyTargetSchema,
  watch_id: z.string(),
};

/** One thing a responder asked for in Slack, done by a worker. */
export const SlackActionJobSchema = z.discriminatedUnion('kind', [
  z.object({ ...Base, kind: z.literal('acknowledge'), finding_id: z.string() }),
  z.object({
    ...Base,
    kind: z.literal('mark_benign'),
    finding_id: z.string(),
    scope: BenignScopeSchema,
    reason: z.string(),
    expires_at: z.string().optional(),
  }),
  z.object({ ...Base, kind: z.literal('escalate'), finding_id: z.string() }),
  z.object({ ...Base, kind: z.literal('extend'), by_ms: z.number().int().positive() }),
  z.object({ ...Base, kind: z.literal('stop'), reason: z.string() }),
]);
export type SlackActionJob = z.infer<typeof SlackActionJobSchema>;
export type SlackActionKind = SlackActionJob['kind'];

export const HomeJobSchema = z.object({ user_id: z.string() });

export const SLACK_JOB = {
  action: 'action',
  /** Publish the App Home of one user (they just opened it). */
  home: 'home',
  /** Re-publish the App Home of everyone who opened it lately (a watch changed). */
  homeRefresh: 'home-refresh',
} as const;
