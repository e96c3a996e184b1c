import { gunzipSync, gzipSync, strFromU8, strToU8 } from 'fflate';

/** JSON gzipped for Redis: baselines and prevalence tables shrink about tenfold. */
export function packJson(value: unknown): Buffer {
  return Buffer.from(gzipSync(strToU8(JSON.stringify(value)), { level: 6 }));
}

/** The value `packJson` stored; throws on anything else (the caller's schema then decides). */
export function unpackJson(packed: Uint8Array): unknown {
  return JSON.parse(strFromU8(gunzipSync(packed)));
}
