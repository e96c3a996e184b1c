import type { Redis } from 'ioredis';
import { DEFAULT_BEACON_HISTORY_LIMIT, type BeaconHistory, type BeaconSample, type BeaconTrack } from '../detect/beacon-history.js';
import { eventDigest } from '../lib/event-digest.js';
import type { RedisKeys } from '../lib/keys.js';
import { RECORD_BEACONS_SCRIPT } from './record-beacons-script.js';
import { LuaScript } from '../lib/lua-script.js';

const RECORD_BEACONS = new LuaScript(RECORD_BEACONS_SCRIPT);

export interface RedisBeaconHistoryOptions {
  /** Epoch ms after which the watch's histories may go: its expiry plus a margin for the closing poll. Required. */
  expireAtMs: number;
  /** Newest samples kept per tuple. Default `DEFAULT_BEACON_HISTORY_LIMIT` (100). */
  limit?: number;
}

/** Tuples per script call: bounds one call's work while a poll stays a handful of round trips. */
const TUPLES_PER_CALL = 200;

/**
 * One watch's beacon histories in Redis: a sorted set per tuple (`eventDigest` of the event id and bytes, by time),
 * trimmed to the newest `limit`, plus a per-watch count of samples ever kept. Every key expires with the watch.
 */
export class RedisBeaconHistory implements BeaconHistory {
  private readonly limit: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly watchId: string,
    private readonly options: RedisBeaconHistoryOptions,
  ) {
    this.limit = options.limit ?? DEFAULT_BEACON_HISTORY_LIMIT;
  }

  async record(byTuple: ReadonlyMap<string, readonly BeaconSample[]>): Promise<Map<string, BeaconTrack>> {
    const out = new Map<string, BeaconTrack>();
    const tuples = [...byTuple.keys()];
    for (let start = 0; start < tuples.length; start += TUPLES_PER_CALL) {
      const chunk = tuples.slice(start, start + TUPLES_PER_CALL);
      const args: (string | number)[] = [Math.ceil(this.options.expireAtMs), this.limit];
      for (const tuple of chunk) {
        const samples = byTuple.get(tuple) ?? [];
        args.push(tuple, samples.length);
        for (const sample of samples) args.push(sample.time, memberOf(eventDigest(sample.id), sample), memberOf(sample.id, sample));
      }
      const reply = (await RECORD_BEACONS.run(
        this.redis,
        [this.keys.beaconCounts(this.watchId), ...chunk.map((tuple) => this.keys.beaconHistory(this.watchId, tuple))],
        args,
      )) as [number, string[]][];
      chunk.forEach((tuple, index) => {
        const [total, flat] = reply[index] ?? [0, []];
        out.set(tuple, { samples: decodeSamples(flat), total: Number(total) });
      });
    }
    return out;
  }
}

/**
 * Event id digest, then bytes. Versions before digests stored the full id there (it may hold "|", bytes never do):
 * such members are still read, and recording their event again adds nothing.
 */
const memberOf = (id: string, sample: BeaconSample): string => `${id}|${sample.bytes ?? ''}`;

function decodeSamples(flat: readonly string[]): BeaconSample[] {
  const samples: BeaconSample[] = [];
  for (let index = 0; index + 1 < flat.length; index += 2) {
    const member = flat[index] as string;
    const cut = member.lastIndexOf('|');
    const bytes = member.slice(cut + 1);
    samples.push({ id: member.slice(0, cut), time: Number(flat[index + 1]), bytes: bytes === '' ? undefined : Number(bytes) });
  }
  return samples;
}
