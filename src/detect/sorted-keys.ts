/**
 * Read-only lookups held as sorted arrays: a key costs one array slot and its number another, where a
 * `Map` entry costs three slots and a share of a hash table kept at most half full. The baselines of a thousand
 * watches, and the estate reads they share, are held this way.
 */

/** The first index whose key is not below `key` (code-unit order), or `keys.length`. */
export function lowerBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((keys[middle] as string) < key) low = middle + 1;
    else high = middle;
  }
  return low;
}

const byKey = <T extends readonly [string, ...unknown[]]>(a: T, b: T): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Sorts entries by key in place (stable: entries of one key keep their order). */
function sortByKey<T extends readonly [string, ...unknown[]]>(entries: T[]): T[] {
  return entries.sort(byKey);
}

/** A copy without the spare capacity an array grown by `push` keeps. */
export const exactly = <T>(items: T[]): T[] => items.slice();

/** A string-to-number map, built once. */
export class SortedCounts {
  private constructor(
    private readonly keys: readonly string[],
    private readonly values: readonly number[],
  ) {}

  /** Entries of one key are merged by `merge` (default: the last one wins, as a `Map` built from them would). */
  static of(entries: readonly (readonly [string, number])[], merge: (held: number, next: number) => number = (_held, next) => next): SortedCounts {
    const sorted = sortByKey([...entries]);
    const keys: string[] = [];
    const values: number[] = [];
    for (const [key, value] of sorted) {
      if (keys.length > 0 && keys[keys.length - 1] === key) values[values.length - 1] = merge(values[values.length - 1] as number, value);
      else {
        keys.push(key);
        values.push(value);
      }
    }
    return new SortedCounts(exactly(keys), exactly(values));
  }

  /** These counts but the ones `drop` names. */
  without(drop: (key: string, value: number) => boolean): SortedCounts {
    const keys: string[] = [];
    const values: number[] = [];
    this.keys.forEach((key, index) => {
      const value = this.values[index] as number;
      if (drop(key, value)) return;
      keys.push(key);
      values.push(value);
    });
    return new SortedCounts(exactly(keys), exactly(values));
  }

  get size(): number {
    return this.keys.length;
  }

  get(key: string): number | undefined {
    const index = lowerBound(this.keys, key);
    return this.keys[index] === key ? this.values[index] : undefined;
  }

  /** The instance of `key` held here, so that others holding the same text can share it. */
  held(key: string): string | undefined {
    const index = lowerBound(this.keys, key);
    const held = this.keys[index];
    return held === key ? held : undefined;
  }
}
