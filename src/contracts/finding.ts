import * as z from 'zod';
import { SeveritySchema } from './common.js';

export const FindingKindSchema = z.enum([
  'blocked_retry',
  'uncommon_port',
  'quiet_process',
  'new_destination',
  'protocol_shift',
  'beaconing',
]);
export type FindingKind = z.infer<typeof FindingKindSchema>;

export const FindingProcessSchema = z.object({
  name: z.string(),
  path: z.string().optional(),
  cmd_line: z.string().optional(),
  user: z.string().optional(),
  sha1: z.string().optional(),
  pid: z.number().int().optional(),
});

export const FindingStatusSchema = z.enum(['open', 'acknowledged', 'benign']);

/**
 * One suspicious (host, process, destination, port, protocol) tuple of a watch. Repeats of the same tuple
 * only raise `count` and move `last_seen`.
 */
export const FindingSchema = z.object({
  id: z.string(),
  watch_id: z.string(),
  host: z.string(),
  process: FindingProcessSchema,
  dst: z.object({ ip: z.string().optional(), port: z.number().int().optional(), hostname: z.string().optional() }),
  protocol: z.string(),
  kind: z.array(FindingKindSchema).min(1),
  severity: SeveritySchema,
  score: z.number().min(0).max(100),
  reasons: z.array(z.string()),
  /** True when at least one event of this finding was allowed through (not blocked or failed). */
  connected: z.boolean(),
  first_seen: z.string(),
  last_seen: z.string(),
  count: z.number().int().positive(),
  sources: z.array(z.string()),
  status: FindingStatusSchema,
});
export type Finding = z.infer<typeof FindingSchema>;
