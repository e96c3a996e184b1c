import * as z from 'zod';
import { CidrSchema, DomainSchema, IpSchema, IsoTimeSchema, printable } from './common.js';
import { durationString } from './duration.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** No telemetry any source keeps goes back further: an earlier `blocked_at` (year 0000, an epoch of 0) is a mistake. */
const EARLIEST_BLOCK = Date.UTC(2000, 0, 1);

export const HostFields = {
  hostname: printable(255).optional(),
  ip: IpSchema.optional(),
  edr_id: printable(128).optional(),
};

export const HostSchema = z
  .strictObject(HostFields)
  .refine((host) => host.hostname !== undefined || host.ip !== undefined, {
    error: 'each host needs a hostname or an ip',
    path: ['hostname'],
  });
export type Host = z.infer<typeof HostSchema>;

export const IndicatorSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('ip'), value: IpSchema }),
    z.strictObject({ type: z.literal('cidr'), value: CidrSchema }),
    z.strictObject({ type: z.literal('domain'), value: DomainSchema }),
  ],
  { error: 'type must be one of ip, cidr, domain' },
);
export type Indicator = z.infer<typeof IndicatorSchema>;

export const WatchOptionsSchema = z.strictObject({
  duration: durationString(1_000, 30 * DAY).optional(),
  poll_interval: durationString(1_000, 60 * MINUTE).optional(),
  baseline: durationString(MINUTE, 30 * DAY).optional(),
});

/** The body of `POST /v1/containments` (DESIGN section 2). */
export const ContainmentRequestSchema = z.strictObject({
  incident_id: printable(128),
  title: printable(500).optional(),
  severity: z.enum(['low', 'medium', 'high', 'critical']).optional(),
  slack_channel: z
    .string()
    .regex(/^(?:[CGD][A-Z0-9]{8,20}|#?[a-z0-9][a-z0-9._-]{0,79})$/, { error: 'must be a Slack channel id such as C07ABCDEF12' })
    .optional(),
  blocked: z.array(IndicatorSchema).min(1).max(100),
  blocked_at: IsoTimeSchema.refine((time) => Date.parse(time) >= EARLIEST_BLOCK, { error: 'must not be before 2000-01-01' }).optional(),
  control: printable(200).optional(),
  hosts: z.array(HostSchema).min(1).max(500),
  watch: WatchOptionsSchema.optional(),
  sources: z.array(printable(64)).min(1).max(20).optional(),
  action_id: printable(200).optional(),
});
export type ContainmentRequest = z.infer<typeof ContainmentRequestSchema>;
