import { buildBaseline, compileBaseline, type BaselineSnapshot, type CompiledBaseline } from '../detect/baseline.js';
import type { CompiledEstate } from '../detect/estate.js';
import { createDetector } from '../detect/detector.js';
import type { AllowRule, DetectionSettings } from '../detect/settings.js';
import type { Watch } from '../contracts/watch.js';
import type { Detector } from '../detect/types.js';
import type { AllowRuleStore } from '../stores/allow-rule-store.js';
import type { WatchStore } from '../stores/watch-store.js';
import { EstateCache } from './estate-cache.js';

export interface DetectorCacheDeps {
  store: Pick<WatchStore, 'baseline' | 'estateRead'>;
  detection: DetectionSettings;
  /** Allow-rules responders added from Slack, applied on top of `detection.allow`. */
  allowRules: Pick<AllowRuleStore, 'version' | 'active'>;
  /** Detectors kept at most, the least recently used dropped first. Default `DEFAULT_MAX_DETECTORS`. */
  maxDetectors?: number;
  /** Compiled estate reads kept at most. Default `DEFAULT_MAX_ESTATES`. */
  maxEstates?: number;
}

/** Enough for every watch of a large deployment to stay compiled between ticks. */
export const DEFAULT_MAX_DETECTORS = 2_000;

export interface WatchDetector extends Detector {
  /** What the detector judges against. */
  baseline: CompiledBaseline;
}

/**
 * Compiled detectors per watch, rebuilt only when the watch's baseline, hosts or indicators change, or when a
 * responder adds an allow-rule ("Mark benign"): compiling a 500-host baseline on every poll tick would dominate
 * the poll. Bounded, least recently used first out, so memory follows the watches being polled, not every watch
 * the worker ever saw.
 */
export class DetectorCache {
  /** In use order, least recent first: a Map iterates in insertion order and a hit re-inserts. */
  private readonly entries = new Map<string, { version: string; detector: WatchDetector }>();
  private rules: { version: string; rules: readonly AllowRule[] } = { version: '', rules: [] };
  private readonly maxDetectors: number;
  private readonly estates: EstateCache;

  constructor(private readonly deps: DetectorCacheDeps) {
    this.maxDetectors = deps.maxDetectors ?? DEFAULT_MAX_DETECTORS;
    this.estates = new EstateCache((source, id) => deps.store.estateRead(source, id), deps.maxEstates);
  }

  get size(): number {
    return this.entries.size;
  }

  async for(watch: Watch): Promise<WatchDetector> {
    return (await this.forAll([watch]))[0] as WatchDetector;
  }

  /** The detectors of `watches`, in order: the responders' rules are looked up once for all of them. */
  async forAll(watches: readonly Watch[]): Promise<WatchDetector[]> {
    const extraAllowRules = await this.extraRules();
    return Promise.all(watches.map((watch) => this.compiled(watch, extraAllowRules)));
  }

  private async compiled(watch: Watch, extraAllowRules: readonly AllowRule[]): Promise<WatchDetector> {
    const version = `${watch.baseline_taken_at ?? ''}|${watch.hosts.length}|${watch.blocked.length}|${this.rules.version}`;
    const cached = this.entries.get(watch.id);
    if (cached?.version === version) {
      this.entries.delete(watch.id);
      this.entries.set(watch.id, cached);
      return cached.detector;
    }

    // A watch still taking its baseline is judged against an empty one; the poller skips its pending hosts.
    const snapshot = (await this.deps.store.baseline(watch.id)) ?? buildBaseline([], watch.hosts, this.deps.detection);
    const baseline: CompiledBaseline = compileBaseline(snapshot, { estates: await this.referencedEstates(snapshot), blocked: watch.blocked });
    const context = { watchId: watch.id, incidentId: watch.incident_id, blocked: watch.blocked, hosts: watch.hosts, blockedAt: Date.parse(watch.blocked_at) };
    const detector = createDetector({ context, baseline, settings: this.deps.detection, extraAllowRules });
    const entry = { version, detector: { ...detector, baseline } };
    this.entries.delete(watch.id);
    this.entries.set(watch.id, entry);
    for (const [leastRecent] of this.entries) {
      if (this.entries.size <= this.maxDetectors) break;
      this.entries.delete(leastRecent);
    }
    return entry.detector;
  }

  forget(watchId: string): void {
    this.entries.delete(watchId);
  }

  /**
   * The shared compiled reads the snapshot references. A read no longer stored (only if deleted by hand: the store
   * keeps reads its active watches use) is left out, as when the estate was unavailable at baseline time.
   */
  private async referencedEstates(snapshot: BaselineSnapshot): Promise<CompiledEstate[]> {
    const estates = await Promise.all(
      snapshot.environment.estate.flatMap((used) => (used.read === undefined ? [] : [this.estates.get(used.source, used.read)])),
    );
    return estates.filter((estate) => estate !== undefined);
  }

  /** The responders' rules, re-read only when their version moved. */
  private async extraRules(): Promise<readonly AllowRule[]> {
    const version = await this.deps.allowRules.version();
    if (version !== this.rules.version) this.rules = { version, rules: await this.deps.allowRules.active() };
    return this.rules.rules;
  }
}
