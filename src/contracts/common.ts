import * as z from 'zod';

/** Printable text: no control characters, which would end up in queries, logs and Slack. */
export const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u001f\u007f]*$/, { error: 'must not contain control characters' });

export const IpSchema = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' });
export const CidrSchema = z.union([z.cidrv4(), z.cidrv6()], { error: 'must be an IPv4 or IPv6 CIDR such as 198.51.100.0/24' });
export const DomainSchema = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i, {
    error: 'must be a domain name such as cdn-update.example',
  });
export const IsoTimeSchema = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2026-11-27T10:00:00Z' });

export const SeveritySchema = z.enum(['info', 'low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof SeveritySchema>;
export const SEVERITY_ORDER: readonly Severity[] = SeveritySchema.options;
export const severityRank = (severity: Severity): number => SEVERITY_ORDER.indexOf(severity);
