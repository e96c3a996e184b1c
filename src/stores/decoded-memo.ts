/**
 * Records decoded from Redis, kept by key while their stored bytes stay the same: reading an unchanged record again
 * costs a byte comparison instead of unpacking, parsing and validating it. A poll re-reads every watch's record and
 * health on every tick, most of them unchanged. Values are deep-frozen, since every reader shares them; the newest
 * `limit` keys are kept.
 */
export class DecodedMemo<T> {
  private readonly entries = new Map<string, { bytes: Buffer; value: T }>();

  constructor(private readonly limit: number) {}

  decode(key: string, bytes: Buffer, decode: (bytes: Buffer) => T): T {
    const known = this.entries.get(key);
    this.entries.delete(key);
    const entry = known !== undefined && known.bytes.equals(bytes) ? known : { bytes, value: deepFreeze(decode(bytes)) };
    this.entries.set(key, entry);
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
    return entry.value;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
