/** With nothing new read, a watch's seen events are still trimmed to the look-back this often. */
const TRIM_EVERY_MS = 60_000;
/**
 * With nothing new read, whether hosts went quiet is still checked this often: a host counts as quiet only after ten
 * minutes of silence at the least, so a check every poll would only repeat the answer.
 */
const QUIET_CHECK_EVERY_MS = 30_000;

/**
 * What one worker remembers of one detector's polls of a watch, so that a poll re-reading its look-back costs next to
 * nothing for events already judged. Lost with the worker or the detector (rebuilt when the watch or the rules change):
 * the poller then asks Redis which events the watch recorded, as it does for a watch polled elsewhere before.
 */
export class PollMemory {
  /** Sources of which this detector judged every event of a successful read. */
  readonly settled = new Set<string>();
  /** Per source, the events this detector judged (or found recorded once settled), with their times. */
  private readonly judgedBySource = new Map<string, Map<string, number>>();
  private readonly trimmedAt = new Map<string, number>();
  private quietCheckedAt = Number.NEGATIVE_INFINITY;

  judged(sourceId: string): ReadonlyMap<string, number> {
    return this.judgedBySource.get(sourceId) ?? EMPTY;
  }

  /** After a successful read of `sourceId`: its events are judged, and those before `readFrom` will not be read again. */
  settle(sourceId: string, events: readonly { id: string; time: number }[], readFrom: number): void {
    this.settled.add(sourceId);
    let judged = this.judgedBySource.get(sourceId);
    if (judged === undefined) {
      judged = new Map();
      this.judgedBySource.set(sourceId, judged);
    }
    for (const [id, time] of judged) if (time < readFrom) judged.delete(id);
    for (const event of events) judged.set(event.id, event.time);
  }

  trimDue(sourceId: string, now: number): boolean {
    return now - (this.trimmedAt.get(sourceId) ?? Number.NEGATIVE_INFINITY) >= TRIM_EVERY_MS;
  }

  trimmed(sourceId: string, now: number): void {
    this.trimmedAt.set(sourceId, now);
  }

  quietCheckDue(now: number): boolean {
    return now - this.quietCheckedAt >= QUIET_CHECK_EVERY_MS;
  }

  quietChecked(now: number): void {
    this.quietCheckedAt = now;
  }
}

const EMPTY: ReadonlyMap<string, number> = new Map();
