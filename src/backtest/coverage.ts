import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { SourceHealth, WatchedHost } from '../contracts/watch.js';
import type { Sighting } from './sighting.js';
import { hostLabel } from '../contracts/host-identity.js';

/** What one source's telemetry covers, from its events alone (an export has no poll cursor to tell). */
export interface SourceSpan {
  source: string;
  /** Epoch ms of its first and last event, whatever the host. */
  first: number;
  last: number;
  events: number;
  /** Devices as the telemetry named them (host name, else id, else IP). */
  devices: Set<string>;
  /** Watched events (of watched hosts, inside the window). */
  watchedEvents: number;
  /** Labels of the watched hosts it had events of inside the window. */
  hostsSeen: Set<string>;
}

/** Per source: time span, devices, and which watched hosts it saw during the window. */
export class CoverageTracker {
  private readonly spans = new Map<string, SourceSpan>();

  private spanOf(source: string, time: number): SourceSpan {
    let span = this.spans.get(source);
    if (!span) {
      span = { source, first: time, last: time, events: 0, devices: new Set(), watchedEvents: 0, hostsSeen: new Set() };
      this.spans.set(source, span);
    }
    return span;
  }

  /** Any event of an input, before, in or after the window. */
  seen(event: Sighting): void {
    const span = this.spanOf(event.source, event.time);
    span.events += 1;
    span.first = Math.min(span.first, event.time);
    span.last = Math.max(span.last, event.time);
    const device = event.device.hostname ?? event.device.uid ?? event.device.ip;
    if (device !== undefined) span.devices.add(device);
  }

  /** An event of a watched host inside the window. */
  watched(event: ConnectionEvent, host: WatchedHost): void {
    const span = this.spanOf(event.source, event.time);
    span.watchedEvents += 1;
    span.hostsSeen.add(hostLabel(host));
  }

  list(): SourceSpan[] {
    return [...this.spans.values()].sort((a, b) => a.source.localeCompare(b.source));
  }

  /**
   * The watch's coverage in the live form. A source counts as read up to its last event, capped at the window's
   * end: an export that stops early leaves the rest of the window unread, and the verdict cannot be `held`.
   */
  health(sources: readonly string[], window: { from: number; to: number }): SourceHealth[] {
    return sources.map((source) => {
      const span = this.spans.get(source);
      const readUntil = span && span.last >= window.from ? Math.min(span.last, window.to) : undefined;
      const iso = readUntil === undefined ? undefined : new Date(readUntil).toISOString();
      const unreadFrom = readUntil ?? window.from;
      return {
        source,
        ...(iso !== undefined && { polled_until: iso, last_success_at: iso }),
        consecutive_failures: 0,
        polled_hosts: [],
        events_seen: span?.watchedEvents ?? 0,
        hosts_seen: [...(span?.hostsSeen ?? [])].sort(),
        gaps:
          unreadFrom < window.to
            ? [{ from: new Date(unreadFrom).toISOString(), to: new Date(window.to).toISOString(), reason: 'no telemetry in the input after this' }]
            : [],
      };
    });
  }
}
