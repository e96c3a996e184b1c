import { eventDigest } from '../lib/event-digest.js';
import type { BeaconPoint } from './beaconing.js';

/** One connection of a tuple as a beacon history keeps it. */
export interface BeaconSample extends BeaconPoint {
  /**
   * The event id: recording the same id again changes nothing. A history keeps (and returns) its `eventDigest`
   * only; samples Redis kept before digests come back with the full id.
   */
  id: string;
}

/** What a history holds for one tuple after recording. */
export interface BeaconTrack {
  /** The newest samples, oldest first, at most the history's limit. */
  samples: BeaconSample[];
  /** Distinct samples ever kept for the tuple, including those since dropped for the limit. */
  total: number;
}

/**
 * Recent connection times (and bytes) per (watch, host, process, destination, port, protocol) tuple, keyed by the
 * tuple's finding id. The live path keeps it in Redis (src/stores/redis-beacon-history.ts); a backtest uses
 * `InMemoryBeaconHistory`. Both must behave alike: idempotent per sample id, so a replayed poll changes no score;
 * bounded to the newest `limit` samples per tuple; and a sample no newer than one already dropped for the limit is
 * ignored, so replaying old events never inflates `total` (a genuinely late event that old is ignored too).
 */
export interface BeaconHistory {
  /** Adds samples per tuple and returns the resulting track of every tuple named in `byTuple`. */
  record(byTuple: ReadonlyMap<string, readonly BeaconSample[]>): Promise<Map<string, BeaconTrack>>;
}

/** Samples kept per tuple: enough for a stable score, small enough for thousands of tuples. */
export const DEFAULT_BEACON_HISTORY_LIMIT = 100;

export interface InMemoryBeaconHistoryOptions {
  /** Newest samples kept per tuple. Default `DEFAULT_BEACON_HISTORY_LIMIT` (100). */
  limit?: number;
}

/** A `BeaconHistory` in process memory, for backtests and tests. */
export class InMemoryBeaconHistory implements BeaconHistory {
  private readonly limit: number;
  private readonly tracks = new Map<string, { samples: Map<string, BeaconSample>; total: number; floor: number }>();

  constructor(options: InMemoryBeaconHistoryOptions = {}) {
    this.limit = options.limit ?? DEFAULT_BEACON_HISTORY_LIMIT;
  }

  async record(byTuple: ReadonlyMap<string, readonly BeaconSample[]>): Promise<Map<string, BeaconTrack>> {
    const out = new Map<string, BeaconTrack>();
    for (const [tuple, incoming] of byTuple) {
      const track = this.tracks.get(tuple) ?? { samples: new Map<string, BeaconSample>(), total: 0, floor: Number.NEGATIVE_INFINITY };
      this.tracks.set(tuple, track);
      for (const sample of incoming) {
        const id = eventDigest(sample.id);
        // At or below the floor it was kept once and dropped for the limit (or is that old): counted already.
        if (sample.time <= track.floor || track.samples.has(id)) continue;
        track.samples.set(id, { id, time: sample.time, bytes: sample.bytes });
        track.total += 1;
      }
      const ordered = [...track.samples.values()].sort(byTimeThenId);
      const cut = Math.max(0, ordered.length - this.limit);
      const kept = ordered.slice(cut);
      const newestDropped = ordered[cut - 1];
      if (newestDropped) {
        track.floor = Math.max(track.floor, newestDropped.time);
        track.samples = new Map(kept.map((sample) => [sample.id, sample]));
      }
      out.set(tuple, { samples: kept, total: track.total });
    }
    return out;
  }
}

const byTimeThenId = (a: BeaconSample, b: BeaconSample): number => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
