import { AGENT_RULES } from './catalog-agents.js';
import { APP_RULES } from './catalog-apps.js';
import { PLATFORM_RULES } from './catalog-platform.js';
import { WINDOWS_RULES } from './catalog-windows.js';
import { AllowRuleSchema, type AllowRule } from './settings.js';

/**
 * The built-in allow catalog: updaters, security agents, browsers, collaboration and admin tools, and platform
 * services with vendor-documented addresses (cloud VM agents, push, STUN, time), that would otherwise page someone
 * on every watch. Each entry names the documentation it rests on (`source`), never traffic seen in our own tests. Every entry names its binaries by full path under their install folder,
 * never by name alone: a renamed or copied binary in C:\Users\Public or %TEMP% is not allowed. No entry relies on
 * a signer, and the one LOLBin it names (certutil) is limited to the CA hosts it legitimately fetches from. Rule
 * ids are stable: suppression counts are kept per id, across restarts and releases. It is always applied: the YAML
 * has no key to turn it off; only DetectionSettings built in code (the tests) set `builtin_catalog: false`.
 */
export const BUILTIN_ALLOW_RULES: readonly AllowRule[] = AllowRuleSchema.array().parse([
  ...WINDOWS_RULES,
  ...PLATFORM_RULES,
  ...AGENT_RULES,
  ...APP_RULES,
]);
