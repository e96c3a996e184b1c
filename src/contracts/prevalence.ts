import * as z from 'zod';

const HostTally = z.number().int().nonnegative();

/** On how many hosts one port/protocol was seen; `port` is null for portless protocols such as ICMP. */
export const PortPrevalenceSchema = z.object({
  protocol: z.string().min(1),
  port: z.number().int().min(0).max(65_535).nullable(),
  hosts: HostTally,
});

/** On how many hosts one destination (an IP address or a host name) was contacted. */
export const DestinationPrevalenceSchema = z.object({
  destination: z.string().min(1),
  hosts: HostTally,
});

/**
 * What one source says about the whole estate over a window (every host it sees, not only watched ones): how many
 * hosts made outbound connections, and on how many of them each port/protocol and each destination was seen.
 * Destinations are the most widespread ones only (a destination a single host talks to is no evidence of normal).
 */
export const SourcePrevalenceSchema = z.object({
  host_count: HostTally,
  ports: z.array(PortPrevalenceSchema),
  destinations: z.array(DestinationPrevalenceSchema),
  /** True when the source cut or sampled its answer (row or event caps): the counts are then lower bounds. */
  partial: z.boolean(),
});
export type SourcePrevalence = z.infer<typeof SourcePrevalenceSchema>;

/** One refresh of a source's prevalence, as stored in Redis and shown on a watch's coverage. */
export const PrevalenceSnapshotSchema = SourcePrevalenceSchema.extend({
  version: z.literal(1),
  source: z.string().min(1),
  /** The window the aggregate covered, ISO 8601. */
  from: z.string(),
  to: z.string(),
  refreshed_at: z.string(),
});
export type PrevalenceSnapshot = z.infer<typeof PrevalenceSnapshotSchema>;
