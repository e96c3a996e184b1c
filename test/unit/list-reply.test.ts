import { describe, expect, it } from 'vitest';
import type { WatchView } from '../../src/contracts/watch.js';
import { LISTED, listReply } from '../../src/slack/messages/command-replies.js';
import { watchViewFixture } from '../helpers/watch-view.js';

const NOW = Date.parse('2026-11-27T10:48:00Z');

const view = (i: number): WatchView =>
  watchViewFixture({
    id: `w-${i}`,
    incident_id: `INC-${i}`,
    hosts: [{ hostname: `WS-${i}`, baseline: 'ready' }],
    findings: { total: 0, by_severity: { info: 0, low: 0, medium: 0, high: 0, critical: 0 } },
  });

describe('/containment list', () => {
  it('counts every active watch, not only the ones it read and shows', () => {
    const reply = listReply(Array.from({ length: LISTED }, (_, i) => view(i)), NOW, 20_289);
    expect(reply.text).toBe('20289 active watches');
    const text = JSON.stringify(reply.blocks);
    expect(text).toContain('Active watches (20289)');
    expect(text).toContain(`… and ${20_289 - LISTED} more`);
  });

  it('without a total, counts the watches it was given', () => {
    expect(listReply([view(1), view(2)], NOW).text).toBe('2 active watches');
  });
});
