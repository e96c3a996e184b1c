import type { PrevalenceSnapshot } from '../contracts/prevalence.js';
import { compileEstate, type CompiledEstate } from '../detect/estate.js';

/** A source refreshes daily and keeps a few reads: watches of a few days use a handful per source. */
export const DEFAULT_MAX_ESTATES = 16;

export type EstateReader = (source: string, id: string) => Promise<PrevalenceSnapshot | undefined>;

/**
 * Compiled estate reads by (source, read id), shared by every detector whose baseline references them: the worker
 * holds each read once, whatever the number of watches. Bounded, least recently used first out; a read being
 * loaded is shared too, so detectors compiled side by side read it once.
 */
export class EstateCache {
  /** In use order, least recent first. */
  private readonly entries = new Map<string, Promise<CompiledEstate | undefined>>();

  constructor(
    private readonly readEstate: EstateReader,
    private readonly maxEstates = DEFAULT_MAX_ESTATES,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The compiled read, or undefined when it is no longer stored. */
  async get(source: string, id: string): Promise<CompiledEstate | undefined> {
    const key = `${source}\n${id}`;
    let entry = this.entries.get(key);
    if (entry) this.entries.delete(key);
    else entry = this.load(source, id);
    this.entries.set(key, entry);
    for (const [leastRecent] of this.entries) {
      if (this.entries.size <= this.maxEstates) break;
      this.entries.delete(leastRecent);
    }
    try {
      const estate = await entry;
      if (estate === undefined) this.entries.delete(key);
      return estate;
    } catch (error) {
      this.entries.delete(key);
      throw error;
    }
  }

  private async load(source: string, id: string): Promise<CompiledEstate | undefined> {
    const read = await this.readEstate(source, id);
    return read && compileEstate(id, read);
  }
}
