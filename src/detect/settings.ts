import { createHash } from 'node:crypto';
import * as z from 'zod';
import { CidrSchema, DomainSchema, IpSchema, IsoTimeSchema, printable } from '../contracts/common.js';
import { parsePortSpec } from './ports.js';

/**
 * The detection sections of `containment-watch.yaml`: `allow`, `networks`, `ports` and detection tuning.
 * Each schema is strict (a typo in an allow-rule must fail at start, not silently widen or narrow it).
 * Parsed values keep the shape they were written in, so a parsed rule can be stored and parsed again.
 */

const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]);

const PortNumberSchema = z.number().int().min(0).max(65535);
const PortRangeSchema = z.string().refine((text) => parsePortSpec(text) !== undefined, {
  error: 'must be a port range such as "1000-2000" (0-65535, low to high)',
});
export const PortSpecSchema = z.union([PortNumberSchema, PortRangeSchema], {
  error: 'must be a port number (0-65535) or a range such as "1000-2000"',
});

const ProtocolSchema = z
  .string()
  .regex(/^[a-z0-9-]{1,16}$/i, { error: 'must be a transport such as tcp, udp or icmp' })
  .transform((text) => text.toLowerCase());

const GlobSchema = printable(1024);
const Sha1Schema = z.string().regex(/^[0-9a-f]{40}$/i, { error: 'must be a 40-character hex SHA-1' });
const RuleIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, {
  error: 'must be 1-64 letters, digits, ".", "_", ":" or "-"',
});

/** Matchers that pick out traffic; `host` and `protocol` only narrow a rule, they can never make one. */
const SELECTING_MATCHERS = ['process_name', 'process_path', 'sha1', 'signer', 'dst_cidr', 'dst_domain', 'port'] as const;
const ID_FIELDS = [...SELECTING_MATCHERS, 'protocol', 'host', 'incident_id'] as const;

/**
 * One suppression rule. A rule matches an event when every matcher it has matches (AND across fields);
 * a list matches when any of its items does (OR within a field). Strings compare case-insensitively.
 */
export const AllowRuleSchema = z
  .strictObject({
    id: RuleIdSchema.optional().describe(
      'Stable id reported with each suppressed event. Unset: `allow-` and a hash of the matchers and scope, so restarts keep suppression counts together.',
    ),
    reason: printable(500).describe('Why this traffic is benign, shown to responders and in the evidence report.'),
    /** Every built-in catalog entry names one. */
    source: z.url({ protocol: /^https$/ }).max(500).optional().describe('The documentation the rule rests on (a vendor\'s page of its own endpoints and ports), so a reviewer can check it.'),
    process_name: oneOrMany(GlobSchema).optional().describe('Image file name, `*` glob (e.g. `veeam*.exe`).'),
    process_path: oneOrMany(GlobSchema).optional().describe('Full image path, `*` glob; `*` also crosses `\\`, so `C:\\Program Files\\Veeam\\*` covers sub-folders.'),
    sha1: oneOrMany(Sha1Schema).optional().describe('SHA-1 of the image (40 hex digits).'),
    signer: oneOrMany(GlobSchema).optional().describe(
      'Code-signing subject, `*` glob. Alone (without `process_name`, `process_path` or `sha1`) it never covers a Windows LOLBin, which are all Microsoft-signed, nor an image in a user-writable folder, where DLL side-loading puts signed binaries: name the process too for those.',
    ),
    dst_cidr: oneOrMany(CidrSchema).optional().describe('Destination ranges, e.g. `[198.51.100.0/24]`.'),
    dst_domain: oneOrMany(DomainSchema).optional().describe(
      'Destination names. `example.com` matches exactly that name; `*.example.com` matches every name below it (a.example.com, a.b.example.com) but not example.com itself. Needs a host name in the telemetry.',
    ),
    port: oneOrMany(PortSpecSchema).optional().describe('Destination port: `443`, `[80, 443]` or `"1000-2000"` (inclusive), also mixed in a list.'),
    protocol: oneOrMany(ProtocolSchema).optional().describe('Transport: tcp, udp, icmp... Only narrows a rule.'),
    host: oneOrMany(GlobSchema).optional().describe('Watched host name, EDR id or IP, `*` glob; a plain name also matches the host\'s FQDN and vice versa. Only narrows a rule.'),
    expires: IsoTimeSchema.optional().describe('From this instant on the rule is inactive.'),
    incident_id: printable(128).optional().describe('Limits the rule to one incident\'s watches (what "Mark benign: this incident" creates).'),
  })
  .refine((rule) => SELECTING_MATCHERS.some((field) => rule[field] !== undefined), {
    error:
      `an allow-rule needs at least one of ${SELECTING_MATCHERS.join(', ')} ` +
      '(host and protocol only narrow a rule; alone they would hide every connection of a host)',
  })
  .transform((rule) => ({ ...rule, id: rule.id ?? deriveRuleId(rule) }));
export type AllowRule = z.output<typeof AllowRuleSchema>;
export type AllowRuleInput = z.input<typeof AllowRuleSchema>;

/** Same matchers and scope, same id: restarts and re-reads of the YAML keep suppression counts together. */
function deriveRuleId(rule: Partial<Record<(typeof ID_FIELDS)[number], unknown>>): string {
  const canonical = ID_FIELDS.map((field) => {
    const value = rule[field];
    if (value === undefined) return null;
    const list = Array.isArray(value) ? value : [value];
    return list.map((item) => String(item).toLowerCase()).sort();
  });
  return `allow-${createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 12)}`;
}

/**
 * The environment's own networks. Nothing is internal unless listed here: a lab or a cloud can put a C2
 * server on a private address, so RFC 1918 is never assumed.
 */
export const NetworksSchema = z.strictObject({
  internal: z.array(CidrSchema).default([]).describe('Internal ranges (CIDR).'),
  resolvers: z.array(IpSchema).default([]).describe('Corporate DNS resolvers: DNS past them is a `protocol_shift`.'),
  proxies: z.array(IpSchema).default([]).describe('Forward proxies.'),
});
export type Networks = z.output<typeof NetworksSchema>;

export const KnownGoodPortSchema = z.strictObject({
  port: PortSpecSchema.describe('A port or an inclusive range `"1000-2000"`.'),
  protocol: ProtocolSchema.describe('Transport: tcp, udp...'),
  reason: printable(500).optional().describe('Why the port is normal here.'),
});

/** Environment knowledge about ports; it seeds the baseline's port prevalence. */
export const PortsSchema = z.strictObject({
  known_good: z.array(KnownGoodPortSchema).default([]).describe('Service ports that are never "uncommon" here (e.g. the backup agent\'s 10000/tcp).'),
});
export type Ports = z.output<typeof PortsSchema>;

export const DetectionTuningSchema = z
  .strictObject({
    min_score: z.number().int().min(1).max(100).default(40).describe('Scores below this are `normal`, not findings (so a new destination alone never reports).'),
    medium_score: z.number().int().min(1).max(100).default(50).describe('Findings from this score are `medium`; below it `low`. `min_score` ≤ `medium_score` ≤ `high_score`.'),
    high_score: z.number().int().min(1).max(100).default(70).describe('Findings from this score are `high`.'),
    uncommon_port_max_hosts: z.number().min(0).max(1).default(0.1).describe('A port/protocol seen on at most this share (0-1) of the baseline\'s hosts counts as uncommon; one seen on no host counts more.'),
    /** The regularity is the MAD score of src/detect/beaconing.ts. */
    beacon_min_score: z.number().min(0).max(1).default(0.8).describe(
      'A tuple whose connections score at least this (0-1, the regularity of the gaps between bursts) is beaconing. 0.8 is a jitter of at most a fifth of the interval: a steady beacon passes from its fourth burst, a 5 min ± 30 % one almost always, random browsing stays near 0.5.',
    ),
    beacon_min_connections: z.number().int().min(4).max(100).default(4).describe('Fewest bursts (connections at least 2 s apart) of a tuple before its regularity is scored (4 is RITA\'s threshold).'),
  })
  .refine((tuning) => tuning.min_score <= tuning.medium_score && tuning.medium_score <= tuning.high_score, {
    error: 'scores must satisfy min_score <= medium_score <= high_score',
    path: ['medium_score'],
  });
export type DetectionTuning = z.output<typeof DetectionTuningSchema>;

/** The `allow` list: ids must be unique, or suppression counts would mix two rules. */
export const AllowRulesSchema = z.array(AllowRuleSchema).superRefine((rules, ctx) => {
  const seen = new Set<string>();
  rules.forEach((rule, index) => {
    if (seen.has(rule.id)) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'id'],
        message: `duplicate allow-rule id "${rule.id}" (rules with the same matchers get the same derived id)`,
      });
    }
    seen.add(rule.id);
  });
});

export const DetectionSettingsSchema = z.strictObject({
  /** Suppression rules. Default: none. */
  allow: AllowRulesSchema.default([]),
  networks: NetworksSchema.prefault({}),
  ports: PortsSchema.prefault({}),
  tuning: DetectionTuningSchema.prefault({}),
  /** Apply the built-in catalog of updaters, security agents and browsers (src/detect/catalog.ts). Default true. */
  builtin_catalog: z.boolean().default(true),
});
export type DetectionSettings = z.output<typeof DetectionSettingsSchema>;
export type DetectionSettingsInput = z.input<typeof DetectionSettingsSchema>;
