/**
 * When each watched host was heard from, as one bit per minute of the window (bit i: an event from any source in
 * minute i after the block), so a host that went dark in the middle of the window is told from one that was merely
 * quiet for a moment. Bits are numbered as Redis SETBIT numbers them: most significant bit of byte 0 first.
 */
export const HEARD_SLOT_MS = 60_000;

export interface Silence {
  /** Epoch ms. */
  from: number;
  to: number;
}

/** The minute slot of `time` in a window starting at `start`, or -1 before it. */
export const slotOf = (time: number, start: number): number => (time < start ? -1 : Math.floor((time - start) / HEARD_SLOT_MS));

const isHeard = (bitmap: Uint8Array, slot: number): boolean => ((bitmap[slot >> 3] ?? 0) & (0x80 >> (slot & 7))) !== 0;

/** A bitmap with the slots of `times` set, as `SETBIT` would build it. */
export function heardBitmap(times: Iterable<number>, start: number): Uint8Array {
  const slots = [...times].map((time) => slotOf(time, start)).filter((slot) => slot >= 0);
  const bitmap = new Uint8Array(slots.length === 0 ? 0 : (Math.max(...slots) >> 3) + 1);
  for (const slot of slots) bitmap[slot >> 3]! |= 0x80 >> (slot & 7);
  return bitmap;
}

/**
 * The longest stretch of [from, end) in which no slot was heard, for a bitmap whose slot 0 begins at `start`;
 * undefined when nothing was heard at all.
 */
export function longestSilence(bitmap: Uint8Array, start: number, end: number, from = start): Silence | undefined {
  const slots = Math.ceil((end - start) / HEARD_SLOT_MS);
  const first = Math.max(0, slotOf(from, start));
  let longest: [number, number] | undefined;
  let heardAny = false;
  let runStart = first;
  for (let slot = first; slot <= slots; slot += 1) {
    if (slot < slots && !isHeard(bitmap, slot)) continue;
    if (slot < slots) heardAny = true;
    if (slot > runStart && (!longest || slot - runStart > longest[1] - longest[0])) longest = [runStart, slot];
    runStart = slot + 1;
  }
  if (!heardAny || !longest) return undefined;
  return { from: Math.max(from, start + longest[0] * HEARD_SLOT_MS), to: Math.min(end, start + longest[1] * HEARD_SLOT_MS) };
}
