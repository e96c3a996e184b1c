import type { BenignScope, Finding } from '../../contracts/finding.js';
import { DomainSchema } from '../../contracts/common.js';
import { AllowRuleSchema, type AllowRule, type AllowRuleInput } from '../../detect/settings.js';

/**
 * The allow-rule "Mark benign" creates: this process (by path, else name) to this destination (the address, else
 * the name), port and protocol; limited to the incident unless the responder chose everywhere. Undefined when the
 * finding names nothing a rule could match on.
 */
export function benignRule(
  finding: Finding,
  options: { scope: BenignScope; incidentId: string; reason: string; expires?: string },
): AllowRule | undefined {
  const input: AllowRuleInput = { reason: options.reason, protocol: finding.protocol };
  if (finding.process.path) input.process_path = finding.process.path;
  else if (finding.process.name) input.process_name = finding.process.name;
  if (finding.dst.ip !== undefined) input.dst_cidr = `${finding.dst.ip}/${finding.dst.ip.includes(':') ? 128 : 32}`;
  else if (finding.dst.hostname !== undefined && DomainSchema.safeParse(finding.dst.hostname).success) input.dst_domain = finding.dst.hostname;
  if (finding.dst.port !== undefined) input.port = finding.dst.port;
  if (options.scope === 'incident') input.incident_id = options.incidentId;
  if (options.expires !== undefined) input.expires = options.expires;
  const parsed = AllowRuleSchema.safeParse(input);
  return parsed.success ? parsed.data : undefined;
}
