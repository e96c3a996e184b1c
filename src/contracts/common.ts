import * as z from 'zod';

/**
 * Characters no real identifier, host name or title holds, which would end up in queries, logs and Slack, by Unicode
 * general category: controls (Cc: C0, DEL, C1), format characters (Cf: bidi embeddings, overrides, isolates and marks;
 * zero-width spaces and joiners; word joiner; byte-order mark; soft hyphen; the invisible tag characters that can spell
 * out hidden text), unpaired surrogates (Cs: not a character, and not encodable as UTF-8), and line and paragraph
 * separators (Zl, Zp).
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** Printable text: none of the characters above. */
export const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((text) => !UNPRINTABLE.test(text), { error: 'must not contain control, bidi or zero-width characters' });

export const IpSchema = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' });
export const CidrSchema = z.union([z.cidrv4(), z.cidrv6()], { error: 'must be an IPv4 or IPv6 CIDR such as 198.51.100.0/24' });
export const DomainSchema = z
  .string()
  .max(253)
  // The top-level label holds a letter: no TLD is all digits (RFC 3696 §2), and "10.0.0.1" is an address, not a name.
  .regex(/^(?=.{1,253}$)(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+(?=[a-z0-9-]{2,63}$)[a-z0-9-]*[a-z][a-z0-9-]*$/i, {
    error: 'must be a domain name such as cdn-update.example',
  });
export const IsoTimeSchema = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2026-11-27T10:00:00Z' });

export const SeveritySchema = z.enum(['info', 'low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof SeveritySchema>;
export const SEVERITY_ORDER: readonly Severity[] = SeveritySchema.options;
export const severityRank = (severity: Severity): number => SEVERITY_ORDER.indexOf(severity);
