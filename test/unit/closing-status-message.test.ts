import { describe, expect, it } from 'vitest';
import { statusMessage } from '../../src/slack/render/blocks.js';
import { watchViewFixture } from '../helpers/watch-view.js';

const END = Date.parse('2026-11-28T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const closing = {
  window_end: iso(END),
  since: iso(END),
  checked_at: iso(END),
  status: 'closing: waiting for mde-prod to catch up, 5 min',
  sources: [{ source: 'mde-prod', settle_ms: 300_000, caught_up: false, expected_at: iso(END + 300_000), gives_up_at: iso(END + 900_000) }],
};

describe('the status message while the close waits for late telemetry', () => {
  it('says which source it waits for and for how long, in the state line and the notification text', () => {
    const message = statusMessage(watchViewFixture({ expires_at: iso(END), closing }), { now: END + 2 * 60_000 });
    expect(JSON.stringify(message.blocks)).toContain('*State:* closing: waiting for mde-prod to catch up, 3 min · ended 2026-11-28 10:00:00 UTC');
    expect(message.text).toContain('closing: waiting for mde-prod to catch up, 3 min');
  });

  it('shows the window again once an extension reopened it, and the verdict once closed', () => {
    const extended = statusMessage(watchViewFixture({ expires_at: iso(END + 3_600_000), closing }), { now: END + 60_000 });
    expect(JSON.stringify(extended.blocks)).not.toContain('closing:');
    expect(JSON.stringify(extended.blocks)).toContain('59m left');
    const closed = statusMessage(watchViewFixture({ expires_at: iso(END), closing, state: 'closed', verdict: 'held', closed_at: iso(END + 300_000) }), {
      now: END + 300_000,
    });
    expect(JSON.stringify(closed.blocks)).not.toContain('closing:');
  });
});
