import * as z from 'zod';
import { durationString } from '../contracts/duration.js';

const UserIdSchema = z.string().regex(/^[UW][A-Z0-9]{2,30}$/, { error: 'must be a Slack user id such as U0123ABCD' });
const UserGroupIdSchema = z.string().regex(/^S[A-Z0-9]{2,30}$/, { error: 'must be a Slack user group id such as S0123ABCD' });

/**
 * Who may change a watch from Slack: stop, extend, acknowledge, mark benign, escalate. Anyone matching any entry
 * may; everyone else gets a polite refusal and nothing changes. Reading (status, list, App Home) is open to all.
 */
export const SlackAuthorizationSchema = z.strictObject({
  /** Slack user ids allowed everywhere. Default: none. */
  users: z.array(UserIdSchema).default([]),
  /** Members of these user groups are allowed everywhere (needs `usergroups:read`). Default: none. */
  user_groups: z.array(UserGroupIdSchema).default([]),
  /** Members of a watch's incident channel may act on that watch (needs `channels:read`/`groups:read`). Default true. */
  incident_channel_members: z.boolean().default(true),
});
export type SlackAuthorization = z.output<typeof SlackAuthorizationSchema>;

/** Who "Escalate" mentions: the incident commander(s) and/or an on-call user group. */
export const SlackEscalationSchema = z.strictObject({
  /** Default: none. */
  users: z.array(UserIdSchema).default([]),
  /** Default: none. */
  user_groups: z.array(UserGroupIdSchema).default([]),
});
export type SlackEscalation = z.output<typeof SlackEscalationSchema>;

/** The `slack:` section of containment-watch.yaml. */
export const SlackSettingsSchema = z.strictObject({
  authorized: SlackAuthorizationSchema.prefault({}),
  escalation: SlackEscalationSchema.prefault({}),
  delivery: z
    .strictObject({
      /** Minimum gap between two messages in one channel, across all workers (Slack allows about 1/s). Default 1s. */
      channel_interval: durationString(100, 60_000).default('1s'),
    })
    .prefault({}),
  /** How long channel and user-group memberships are cached for authorization. Default 60s. */
  membership_cache: durationString(1_000, 3_600_000).default('60s'),
  /** The slash command as configured in the app manifest. Default /containment. */
  command: z
    .string()
    .regex(/^\/[a-z0-9_-]{1,31}$/, { error: 'must be a slash command such as /containment' })
    .default('/containment'),
});
export type SlackSettings = z.output<typeof SlackSettingsSchema>;
