import type { WatchedHost } from '../contracts/watch.js';
import { anyGlob, compileGlob, type Glob } from './glob.js';
import { hostIdentity } from '../contracts/host-identity.js';
import { lolbinInfo, userWritableFragment } from './lolbins.js';
import { compileCidrList, compileDomainMatcher, firstLabel, type CidrList, type DomainMatcher, type ParsedIp } from '../lib/net.js';
import { basename } from '../lib/process-identity.js';
import { PortSet } from './ports.js';
import type { AllowRule } from './settings.js';

/** The facts of one event that allow-rules look at; strings are already lower-cased and normalized. */
export interface RuleSubject {
  host: WatchedHost;
  /** Lower-cased image path. */
  path: string | undefined;
  /** Lower-cased image file name (from the path, else the reported name). */
  exe: string | undefined;
  sha1: string | undefined;
  /** Raw signer; lower-cased only when a rule asks. */
  signer: string | undefined;
  dstIp: string | undefined;
  /** `dstIp` parsed. */
  dstParsed: ParsedIp | undefined;
  dstHostname: string | undefined;
  port: number | undefined;
  protocol: string;
}

interface CompiledRule {
  id: string;
  /** Set for a rule limited to one incident. */
  incidentId: string | undefined;
  expiresAt: number;
  names: readonly Glob[] | undefined;
  paths: readonly Glob[] | undefined;
  sha1s: ReadonlySet<string> | undefined;
  signers: readonly Glob[] | undefined;
  /** True when only the signer says which process: such a rule never covers a LOLBin or a user-writable image. */
  signerOnly: boolean;
  cidrs: CidrList | undefined;
  domains: DomainMatcher | undefined;
  ports: PortSet | undefined;
  protocols: ReadonlySet<string> | undefined;
  /** The rule's `host` patterns; undefined for every host. Resolved against each watch's hosts by its matcher. */
  hostPatterns: readonly Glob[] | undefined;
}

/**
 * Rules compiled without any watch's scope, indexed by the image file name, else the leading folders, they name,
 * so an event only meets the rules that could concern its process. Immutable: one set serves every watch.
 */
export interface AllowRuleSet {
  /** In configuration order. */
  readonly rules: readonly CompiledRule[];
  readonly byExe: ReadonlyMap<string, readonly CompiledRule[]>;
  readonly byFolder: ReadonlyMap<string, readonly CompiledRule[]>;
  readonly general: readonly CompiledRule[];
}

export interface AllowRuleMatcher {
  /** How many rules are active for this watch (scope applied, already-expired rules dropped). */
  readonly size: number;
  /** The id of the first active rule that matches, else undefined. */
  match(subject: RuleSubject, nowMs: number): string | undefined;
}

export interface AllowRuleScope {
  incidentId: string;
  hosts: readonly WatchedHost[];
  /** Rules expired at this instant are inactive for the matcher; the rest are re-checked per event. */
  nowMs: number;
}

export function compileAllowRuleSet(rules: readonly AllowRule[]): AllowRuleSet {
  const byExe = new Map<string, CompiledRule[]>();
  const byFolder = new Map<string, CompiledRule[]>();
  const general: CompiledRule[] = [];
  const compiledRules = rules.map(compileRule);
  for (const compiled of compiledRules) {
    const exes = indexNames(compiled);
    const folders = exes === undefined ? indexFolders(compiled) : undefined;
    if (exes) for (const exe of exes) addTo(byExe, exe, compiled);
    else if (folders) for (const folder of folders) addTo(byFolder, folder, compiled);
    else general.push(compiled);
  }
  return { rules: compiledRules, byExe, byFolder, general };
}

const shared = new WeakMap<readonly AllowRule[], AllowRuleSet>();

/**
 * The compiled set of a rule list, compiled once per list and shared by every detector given that list (the
 * built-in catalog, the YAML rules, one version of the responders' rules): a worker with a thousand watches holds
 * each once, not once per watch.
 */
export function sharedAllowRuleSet(rules: readonly AllowRule[]): AllowRuleSet {
  let set = shared.get(rules);
  if (!set) {
    set = compileAllowRuleSet(rules);
    shared.set(rules, set);
  }
  return set;
}

/** What one watch applies of shared rule sets: its incident, its hosts, and the rules still active. */
interface WatchRuleScope {
  incidentId: string;
  /** The watch's hosts each `host`-limited rule covers. */
  hostsByRule: ReadonlyMap<CompiledRule, ReadonlySet<WatchedHost>>;
  /** Rules expiring at or before this instant never match. */
  activeAfter: number;
}

/**
 * One watch's matcher over shared rule sets, consulted in the order given: drops rules of other incidents and
 * expired ones, and resolves `host` patterns against the watch's hosts once. When several rules match, the
 * reported one is the first by file name, then by folder, then in configuration order (the sets' order, then each
 * set's own).
 */
export function allowRuleMatcher(sets: readonly AllowRuleSet[], scope: AllowRuleScope): AllowRuleMatcher {
  const hostsByRule = new Map<CompiledRule, ReadonlySet<WatchedHost>>();
  let size = 0;
  for (const set of sets) {
    for (const rule of set.rules) {
      if (!applies(rule, scope.incidentId) || rule.expiresAt <= scope.nowMs) continue;
      size++;
      if (rule.hostPatterns) hostsByRule.set(rule, new Set(scope.hosts.filter((host) => hostMatches(host, rule.hostPatterns!))));
    }
  }
  const watch: WatchRuleScope = { incidentId: scope.incidentId, hostsByRule, activeAfter: scope.nowMs };
  const byExe = sets.filter((set) => set.byExe.size > 0).map((set) => set.byExe);
  const byFolder = sets.filter((set) => set.byFolder.size > 0).map((set) => set.byFolder);
  const firstMatch = (candidates: readonly CompiledRule[] | undefined, subject: RuleSubject, nowMs: number): string | undefined => {
    if (candidates) for (const rule of candidates) if (matches(rule, subject, nowMs, watch)) return rule.id;
    return undefined;
  };

  return {
    size,
    match(subject, nowMs) {
      if (size === 0) return undefined;
      if (subject.exe !== undefined) {
        for (const index of byExe) {
          const id = firstMatch(index.get(subject.exe), subject, nowMs);
          if (id !== undefined) return id;
        }
      }
      const folder = subject.path === undefined || byFolder.length === 0 ? undefined : leadingFolders(subject.path);
      if (folder !== undefined) {
        for (const index of byFolder) {
          const id = firstMatch(index.get(folder), subject, nowMs);
          if (id !== undefined) return id;
        }
      }
      for (const set of sets) {
        const id = firstMatch(set.general, subject, nowMs);
        if (id !== undefined) return id;
      }
      return undefined;
    },
  };
}

/** Compiles allow-rules for one watch (see `allowRuleMatcher`). */
export function compileAllowRules(rules: readonly AllowRule[], scope: AllowRuleScope): AllowRuleMatcher {
  return allowRuleMatcher([compileAllowRuleSet(rules)], scope);
}

const applies = (rule: CompiledRule, incidentId: string): boolean => rule.incidentId === undefined || rule.incidentId === incidentId;

function addTo(index: Map<string, CompiledRule[]>, key: string, rule: CompiledRule): void {
  const list = index.get(key);
  if (!list) index.set(key, [rule]);
  else if (!list.includes(rule)) list.push(rule);
}

const FOLDER_DEPTH = 3;

/**
 * The first three path components ("c:\program files\vendor\"): deep enough to tell products apart, shallow
 * enough that most path globs ("C:\Program Files\Vendor\*") spell them out literally.
 */
function leadingFolders(lowerPath: string): string | undefined {
  let separators = 0;
  for (let i = 0; i < lowerPath.length; i++) {
    if (lowerPath.charCodeAt(i) === 92 && ++separators === FOLDER_DEPTH) return lowerPath.slice(0, i + 1);
  }
  return undefined;
}

/** The leading folders a path-glob rule is limited to, or undefined when a pattern leaves them open. */
function indexFolders(rule: CompiledRule): string[] | undefined {
  return literals(rule.paths, (glob) => leadingFolders(glob.prefix));
}

const list = <T>(value: T | readonly T[] | undefined): readonly T[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? (value as readonly T[]) : [value as T];

function compileRule(rule: AllowRule): CompiledRule {
  const names = list(rule.process_name)?.map(compileGlob);
  const paths = list(rule.process_path)?.map(compileGlob);
  const sha1s = list(rule.sha1);
  return {
    id: rule.id,
    incidentId: rule.incident_id,
    expiresAt: rule.expires === undefined ? Number.POSITIVE_INFINITY : Date.parse(rule.expires),
    names,
    paths,
    sha1s: sha1s && new Set(sha1s.map((sha1) => sha1.toLowerCase())),
    signers: list(rule.signer)?.map(compileGlob),
    signerOnly: rule.signer !== undefined && names === undefined && paths === undefined && sha1s === undefined,
    cidrs: rule.dst_cidr === undefined ? undefined : compileCidrList(list(rule.dst_cidr) ?? []),
    domains: rule.dst_domain === undefined ? undefined : compileDomainMatcher(list(rule.dst_domain) ?? [], false),
    ports: rule.port === undefined ? undefined : PortSet.from(list(rule.port) ?? []),
    protocols: rule.protocol === undefined ? undefined : new Set(list(rule.protocol)),
    hostPatterns: list(rule.host)?.map(compileGlob),
  };
}

function hostMatches(host: WatchedHost, patterns: readonly Glob[]): boolean {
  if (hostNames(host).some((name) => anyGlob(patterns, name))) return true;
  // A watch that only knows "FIN-WS-042" is still the host a rule names as "fin-ws-042.corp.example".
  const short = host.hostname?.toLowerCase();
  if (short === undefined || short.includes('.')) return false;
  return patterns.some((glob) => glob.literal !== undefined && glob.literal.includes('.') && firstLabel(glob.literal) === short);
}

/** Every name a rule's `host` pattern may be written against. */
function hostNames(host: WatchedHost): string[] {
  const names = [hostIdentity(host)];
  if (host.hostname !== undefined) names.push(firstLabel(host.hostname.toLowerCase()));
  if (host.ip !== undefined) names.push(host.ip.toLowerCase());
  if (host.edr_id !== undefined) names.push(host.edr_id.toLowerCase());
  return names;
}

/** The literal image names a rule is limited to, or undefined when it may concern any process. */
function indexNames(rule: CompiledRule): string[] | undefined {
  return (
    literals(rule.names, (glob) => glob.literal) ??
    literals(rule.paths, (glob) => {
      // The text after a path pattern's last "\" has no "*", so it is exactly the file name of any match.
      const tail = basename(glob.pattern.toLowerCase());
      return tail.includes('*') ? undefined : tail;
    })
  );
}

function literals(globs: readonly Glob[] | undefined, pick: (glob: Glob) => string | undefined): string[] | undefined {
  if (globs === undefined) return undefined;
  const out: string[] = [];
  for (const glob of globs) {
    const value = pick(glob);
    if (value === undefined) return undefined;
    out.push(value);
  }
  return out;
}

function matches(rule: CompiledRule, subject: RuleSubject, nowMs: number, watch: WatchRuleScope): boolean {
  if (!applies(rule, watch.incidentId) || rule.expiresAt <= watch.activeAfter) return false;
  if (rule.protocols && !rule.protocols.has(subject.protocol)) return false;
  if (rule.ports && !rule.ports.has(subject.port)) return false;
  if (rule.hostPatterns && watch.hostsByRule.get(rule)?.has(subject.host) !== true) return false;
  if (rule.cidrs && (subject.dstParsed === undefined || !rule.cidrs.contains(subject.dstParsed))) return false;
  if (rule.domains && (subject.dstHostname === undefined || rule.domains.find(subject.dstHostname) === undefined)) {
    return false;
  }
  if (rule.names && (subject.exe === undefined || !anyGlob(rule.names, subject.exe))) return false;
  if (rule.paths && (subject.path === undefined || !anyGlob(rule.paths, subject.path))) return false;
  if (rule.sha1s && (subject.sha1 === undefined || !rule.sha1s.has(subject.sha1))) return false;
  if (rule.signers) {
    if (subject.signer === undefined || !anyGlob(rule.signers, subject.signer.toLowerCase())) return false;
    if (rule.signerOnly && (lolbinInfo(subject.exe) !== undefined || userWritableFragment(subject.path) !== undefined)) {
      return false;
    }
  }
  return rule.expiresAt > nowMs;
}
