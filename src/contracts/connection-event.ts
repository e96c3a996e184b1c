import * as z from 'zod';

/**
 * One network connection seen by a source, normalized. Field names follow OCSF Network Activity
 * (class 4001): time, device, process (OCSF actor.process), src/dst endpoint, protocol, direction, outcome.
 */
export const ConnectionEventSchema = z.object({
  /** Unique within its source; repeated deliveries of one vendor record carry the same id. */
  id: z.string().min(1),
  /** The configured source id (e.g. "mde-prod"). */
  source: z.string().min(1),
  /** Epoch milliseconds. */
  time: z.number().int(),
  device: z.object({
    hostname: z.string().optional(),
    uid: z.string().optional(),
    ip: z.string().optional(),
  }),
  process: z
    .object({
      pid: z.number().int().optional(),
      name: z.string().optional(),
      path: z.string().optional(),
      cmd_line: z.string().optional(),
      sha1: z.string().optional(),
      sha256: z.string().optional(),
      user: z.string().optional(),
      /** Image file name of the parent process (MDE, CrowdStrike and S1 report only the name). */
      parent_name: z.string().optional(),
      /** Full image path of the parent process, when the telemetry has it (Sysmon `ParentImage`, Elastic). */
      parent_path: z.string().optional(),
      /** When the connecting process started, epoch ms (Sysmon EID 1 `UtcTime`, MDE `InitiatingProcessCreationTime`). */
      started_at: z.number().int().optional(),
      signer: z.string().optional(),
    })
    .optional(),
  src_endpoint: z.object({ ip: z.string().optional(), port: z.number().int().optional() }).optional(),
  dst_endpoint: z.object({
    ip: z.string().optional(),
    port: z.number().int().optional(),
    hostname: z.string().optional(),
  }),
  /** Lower-case transport: tcp, udp, icmp, icmpv6, or what the source reports. */
  protocol: z.string(),
  /**
   * ICMP message type and code, when the protocol is ICMP and the source reports them (Zeek puts them in the port
   * fields). An error message (destination unreachable, time exceeded, ...) answers someone else's packet: it is no
   * channel of its own.
   */
  icmp: z.object({ type: z.number().int().min(0).max(255), code: z.number().int().min(0).max(255).optional() }).optional(),
  direction: z.enum(['outbound', 'inbound', 'lateral', 'listen', 'unknown']),
  /** `blocked` when a control (firewall, EDR network protection) denied it. */
  outcome: z.enum(['success', 'failure', 'blocked', 'unknown']),
  bytes_out: z.number().int().optional(),
  bytes_in: z.number().int().optional(),
});
export type ConnectionEvent = z.infer<typeof ConnectionEventSchema>;

/** One aggregated row of a host's network history (baseline window), as a source's summary query returns it. */
export const BaselineEntrySchema = z.object({
  host: z.string(),
  process_path: z.string().optional(),
  process_name: z.string().optional(),
  sha1: z.string().optional(),
  dst_ip: z.string().optional(),
  dst_hostname: z.string().optional(),
  dst_port: z.number().int().optional(),
  protocol: z.string(),
  count: z.number().int().nonnegative(),
  first_seen: z.number().int(),
  last_seen: z.number().int(),
  /**
   * The UTC hours (epoch ms / 3,600,000, floored) the row's connections fell in, when the reader knows them (the
   * backtest does); a source's aggregate leaves it out and the baseline estimates it from count and span.
   */
  hours: z.array(z.number().int()).max(10_000).optional(),
});
export type BaselineEntry = z.infer<typeof BaselineEntrySchema>;
