import { describe, expect, it } from 'vitest';
import { HEARD_SLOT_MS, heardBitmap, longestSilence, slotOf } from '../../src/rules/silence.js';

const START = Date.parse('2026-11-29T00:00:00Z');
const MINUTE = HEARD_SLOT_MS;
const minutes = (...offsets: number[]) => offsets.map((offset) => START + offset * MINUTE + 5_000);

describe('heard timeline', () => {
  it('numbers slots as Redis SETBIT does: most significant bit of the first byte first', () => {
    expect([...heardBitmap(minutes(0, 9), START)]).toEqual([0b1000_0000, 0b0100_0000]);
    expect(slotOf(START - 1, START)).toBe(-1);
  });

  it('finds the longest stretch with nothing heard, wherever it lies in the window', () => {
    const end = START + 60 * MINUTE;
    const heard = heardBitmap(minutes(0, 1, 2, 10, 11, 40, 59), START);
    expect(longestSilence(heard, START, end)).toEqual({ from: START + 12 * MINUTE, to: START + 40 * MINUTE });
  });

  it('counts the start of the window before the host was first heard, and its end after it was last heard', () => {
    const end = START + 60 * MINUTE;
    expect(longestSilence(heardBitmap(minutes(30, 31), START), START, end)).toEqual({ from: START, to: START + 30 * MINUTE });
    expect(longestSilence(heardBitmap(minutes(0, 1), START), START, end)).toEqual({ from: START + 2 * MINUTE, to: end });
  });

  it('a host heard in every minute has no silence, and one never heard has none to report', () => {
    const end = START + 5 * MINUTE;
    expect(longestSilence(heardBitmap(minutes(0, 1, 2, 3, 4), START), START, end)).toBeUndefined();
    expect(longestSilence(new Uint8Array(0), START, end)).toBeUndefined();
  });

  it('looks only from `from` on when the timeline started late', () => {
    const end = START + 60 * MINUTE;
    const heard = heardBitmap(minutes(40, 41), START);
    expect(longestSilence(heard, START, end, START + 35 * MINUTE)).toEqual({ from: START + 42 * MINUTE, to: end });
  });
});
