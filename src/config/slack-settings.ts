import * as z from 'zod';
import { durationString } from '../contracts/duration.js';

const UserIdSchema = z.string().regex(/^[UW][A-Z0-9]{2,30}$/, { error: 'must be a Slack user id such as U0123ABCD' });
const UserGroupIdSchema = z.string().regex(/^S[A-Z0-9]{2,30}$/, { error: 'must be a Slack user group id such as S0123ABCD' });

export const SlackAuthorizationSchema = z
  .strictObject({
    users: z.array(UserIdSchema).default([]).describe('Slack user ids allowed everywhere.'),
    user_groups: z.array(UserGroupIdSchema).default([]).describe('Members of these user groups are allowed everywhere (needs `usergroups:read`).'),
    incident_channel_members: z.boolean().default(true).describe('Members of a watch\'s incident channel may act on that watch (needs `channels:read`/`groups:read`).'),
  })
  .describe('Who may acknowledge, mark benign, escalate, extend or stop (any match is enough); everyone else gets a polite refusal. Reading is open to all.');
export type SlackAuthorization = z.output<typeof SlackAuthorizationSchema>;

export const SlackEscalationSchema = z
  .strictObject({
    users: z.array(UserIdSchema).default([]).describe('Slack user ids mentioned by Escalate.'),
    user_groups: z.array(UserGroupIdSchema).default([]).describe('User groups mentioned by Escalate.'),
  })
  .describe('Whom "Escalate" mentions: the incident commander(s) and/or an on-call user group.');
export type SlackEscalation = z.output<typeof SlackEscalationSchema>;

/** The `slack:` section of containment-watch.yaml. */
export const SlackSettingsSchema = z.strictObject({
  authorized: SlackAuthorizationSchema.prefault({}),
  escalation: SlackEscalationSchema.prefault({}),
  delivery: z
    .strictObject({
      channel_interval: durationString(100, 60_000).default('1s').describe('Minimum gap between two messages in one channel, across all workers (Slack allows about 1/s).'),
    })
    .prefault({})
    .describe('Pacing of Slack messages.'),
  membership_cache: durationString(1_000, 3_600_000).default('60s').describe('How long channel and user-group memberships are cached for authorization.'),
  command: z
    .string()
    .regex(/^\/[a-z0-9_-]{1,31}$/, { error: 'must be a slash command such as /containment' })
    .default('/containment')
    .describe('The slash command as configured in the app manifest.'),
});
export type SlackSettings = z.output<typeof SlackSettingsSchema>;
