import { describe, expect, it } from 'vitest';
import { FindingSchema, type Finding } from '../../src/contracts/finding.js';
import { WatchViewSchema, type WatchView } from '../../src/contracts/watch.js';
import { fitMrkdwn, sealMrkdwn, type SlackMessage } from '../../src/slack/render/block-kit.js';
import { findingMessage, statusMessage, verdictMessage } from '../../src/slack/render/blocks.js';

const NOW = Date.parse('2026-11-27T10:48:00Z');
const HOSTILE = ['<!channel>', '<https://evil.example|click me>', '@here', '&lt;b&gt;', '*bold* _it_ ~s~ `code`', '<@U0123ABC>'];

function view(overrides: Partial<WatchView> = {}): WatchView {
  return WatchViewSchema.parse({
    id: 'w-0001',
    incident_id: 'INC-2041',
    title: 'Beacon on finance workstation',
    slack_channel: 'C07ABCDEF12',
    control: 'pan-edge-01',
    blocked: [{ type: 'ip', value: '203.0.113.7' }],
    blocked_at: '2026-11-27T10:00:00Z',
    hosts: [{ hostname: 'FIN-WS-042', ip: '10.20.1.42', baseline: 'ready' }],
    sources: ['mde-prod'],
    duration_ms: 86_400_000,
    poll_interval_ms: 60_000,
    baseline_ms: 604_800_000,
    state: 'watching',
    opened_by: 'xsoar',
    created_at: '2026-11-27T10:00:05Z',
    updated_at: '2026-11-27T10:47:00Z',
    expires_at: '2026-11-28T10:00:00Z',
    action_ids: [],
    audit: [],
    findings: { total: 1, by_severity: { info: 0, low: 0, medium: 0, high: 1, critical: 0 } },
    suppressed: { count: 12, by_rule: { 'windows-update': 12 } },
    coverage: [
      {
        source: 'mde-prod',
        polled_until: '2026-11-27T10:47:00Z',
        last_success_at: '2026-11-27T10:47:00Z',
        consecutive_failures: 0,
        polled_hosts: [],
        lag_ms: 45_000,
        events_seen: 1_234,
        hosts_seen: ['FIN-WS-042'],
        hosts_unseen: [],
        gaps: [],
      },
    ],
    status_url: 'http://127.0.0.1:8080/v1/watches/w-0001',
    ...overrides,
  });
}

function finding(overrides: Partial<Finding> = {}): Finding {
  return FindingSchema.parse({
    id: 'f-rundll32-8443',
    watch_id: 'w-0001',
    host: 'FIN-WS-042',
    process: {
      name: 'rundll32.exe',
      path: 'C:\\Windows\\System32\\rundll32.exe',
      cmd_line: 'rundll32.exe C:\\Users\\alice\\AppData\\Local\\Temp\\upd.dll,Start',
      user: 'CORP\\alice',
      pid: 4242,
    },
    dst: { ip: '198.18.7.9', port: 8443, hostname: 'cdn-fallback.example' },
    protocol: 'tcp',
    kind: ['quiet_process', 'uncommon_port'],
    severity: 'high',
    score: 82,
    reasons: ['rundll32.exe made no network connections on this host in the 7-day baseline', 'port 8443/tcp is used by 0 of 212 hosts'],
    connected: true,
    first_seen: '2026-11-27T10:02:11Z',
    last_seen: '2026-11-27T10:05:00Z',
    count: 3,
    sources: ['mde-prod'],
    status: 'open',
    ...overrides,
  });
}

interface TextObject {
  type: string;
  text: string;
}
interface AnyBlock {
  type: string;
  block_id?: string;
  text?: TextObject;
  elements?: TextObject[];
  fields?: TextObject[];
}

/** Checks every limit Slack enforces on a message, and that it survives JSON as the WebClient sends it. */
function expectWithinSlackLimits(message: SlackMessage): void {
  const json = JSON.stringify(message);
  expect(JSON.parse(json)).toEqual(message);
  expect(message.blocks.length).toBeLessThanOrEqual(50);
  expect(message.text.length).toBeLessThanOrEqual(3_000);
  const ids = new Set<string>();
  for (const block of message.blocks as AnyBlock[]) {
    if (block.block_id !== undefined) {
      expect(block.block_id.length).toBeLessThanOrEqual(255);
      expect(ids.has(block.block_id)).toBe(false);
      ids.add(block.block_id);
    }
    if (block.type === 'section') expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(3_000);
    if (block.type === 'header') expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(150);
    if (block.type === 'context') {
      expect(block.elements?.length ?? 0).toBeLessThanOrEqual(10);
      for (const element of block.elements ?? []) expect(element.text.length).toBeLessThanOrEqual(3_000);
    }
    expect(block.fields).toBeUndefined();
  }
  // The builders emit no Slack syntax of their own, so any angle bracket would be telemetry that escaped escaping.
  expect(json).not.toMatch(/[<>]/);
  expect(json).not.toMatch(/@(?:here|channel|everyone)/i);
}

const sectionTexts = (message: SlackMessage): string =>
  (message.blocks as AnyBlock[]).map((block) => [block.text?.text ?? '', ...(block.elements ?? []).map((e) => e.text)].join('\n')).join('\n');

function hugeView(): WatchView {
  const hosts: WatchView['hosts'] = Array.from({ length: 500 }, (_, i) => ({
    hostname: i < HOSTILE.length ? HOSTILE[i] : `FIN-WS-${String(i).padStart(4, '0')}-${'x'.repeat(200)}`,
    ip: `10.20.${Math.floor(i / 250)}.${i % 250}`,
    baseline: i % 7 === 0 ? ('pending' as const) : i % 11 === 0 ? ('unavailable' as const) : ('ready' as const),
  }));
  const sources = Array.from({ length: 20 }, (_, i) => `source-${i}`);
  return view({
    title: `${'Very long title '.repeat(40)}<!channel>`,
    hosts,
    sources,
    blocked: Array.from({ length: 100 }, (_, i) => ({ type: 'domain' as const, value: `c2-${i}-${'a'.repeat(50)}.example` })),
    coverage: sources.map((source, i) => ({
      source,
      last_success_at: '2026-11-27T10:47:00Z',
      last_error_at: '2026-11-27T10:46:00Z',
      last_error: `${HOSTILE[i % HOSTILE.length]} ${'upstream said no '.repeat(100)}`,
      consecutive_failures: i % 3,
      polled_hosts: [],
      events_seen: 10_000 * i,
      hosts_seen: hosts.slice(0, 400).map((host) => host.hostname ?? ''),
      hosts_unseen: hosts.slice(400).map((host) => host.hostname ?? ''),
      gaps: [{ from: '2026-11-27T10:10:00Z', to: '2026-11-27T10:20:00Z', reason: 'HTTP 503' }],
    })),
    suppressed: { count: 9_999, by_rule: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`rule-${i}-${'r'.repeat(40)}`, i])) },
    findings: { total: 742, by_severity: { info: 1, low: 2, medium: 300, high: 400, critical: 39 } },
  });
}

describe('the status message', () => {
  it('tells the incident, state, time left, hosts, sources and findings', () => {
    const text = sectionTexts(statusMessage(view(), { now: NOW }));
    expect(text).toContain('INC-2041');
    expect(text).toContain('Beacon on finance workstation');
    expect(text).toContain('watching');
    expect(text).toContain('23h 12m left');
    expect(text).toContain('`FIN-WS-042`');
    expect(text).toContain('`mde-prod`');
    expect(text).toContain('lag 45s');
    expect(text).toContain('high 1');
    expect(text).toContain('`203.0.113.7`');
    expect(text).toContain('`windows-update` 12');
  });

  it('shows the verdict once the watch is closed', () => {
    const text = sectionTexts(statusMessage(view({ state: 'closed', verdict: 'breached', closed_at: '2026-11-28T10:00:00Z' }), { now: NOW }));
    expect(text).toContain('closed');
    expect(text).toContain('Containment breached');
    expect(text).not.toContain('left)');
  });

  it('stays within Slack limits with 500 hosts, 100 indicators and 20 failing sources', () => {
    const message = statusMessage(hugeView(), { now: NOW });
    expectWithinSlackLimits(message);
    const text = sectionTexts(message);
    expect(text).toContain('*Hosts (500):*');
    expect(text).toMatch(/and \d+ more/);
    expect(text).toContain('&lt;!channel&gt;');
  });

  it('flags hosts no source has reported, before the healthy ones', () => {
    const text = sectionTexts(
      statusMessage(
        view({ hosts: [{ hostname: 'FIN-WS-042', baseline: 'ready' }, { hostname: 'FIN-WS-099', baseline: 'ready' }] }),
        { now: NOW },
      ),
    );
    expect(text).toContain('no telemetry yet 1');
    expect(text.indexOf('`FIN-WS-099`')).toBeLessThan(text.indexOf('`FIN-WS-042`'));
  });

  it('flags a host that went quiet after reporting, with when it was last heard', () => {
    const hosts = [
      { hostname: 'FIN-WS-042', baseline: 'ready' as const },
      { hostname: 'FIN-WS-043', baseline: 'ready' as const },
    ];
    const coverage = [{ ...view().coverage[0]!, hosts_seen: ['FIN-WS-042', 'FIN-WS-043'] }];
    const text = sectionTexts(statusMessage(view({ hosts, coverage, quiet_hosts: [{ host: 'FIN-WS-043', last_heard: '2026-11-27T10:21:00Z' }] }), { now: NOW }));
    expect(text).toContain('gone quiet 1');
    expect(text).toMatch(/`FIN-WS-043` \(silent since [^)]*10:21[^)]*\)/);
    expect(text.indexOf('`FIN-WS-043`')).toBeLessThan(text.indexOf('`FIN-WS-042`'));
  });

  it('gives every rendering new block ids, readable first, and takes extra blocks through the actions seam', () => {
    const render = () =>
      statusMessage(view(), {
        now: NOW,
        actions: (context) => [{ type: 'actions', block_id: `${context.kind}:${context.watchId}:actions`, elements: [] }],
      });
    const first = (render().blocks as AnyBlock[]).map((block) => block.block_id ?? '');
    const second = (render().blocks as AnyBlock[]).map((block) => block.block_id ?? '');
    expect(first).toContainEqual(expect.stringMatching(/^status:w-0001:[\w-]{8}$/));
    expect(first.at(-1)).toMatch(/^status:w-0001:actions:[\w-]{8}$/);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
  });

  it('escapes its own "<1m left" like everything else in mrkdwn', () => {
    const message = statusMessage(view({ expires_at: new Date(NOW + 30_000).toISOString() }), { now: NOW });
    const texts = JSON.stringify(message.blocks);
    expect(texts).toContain('(&lt;1m left)');
    expect(texts).not.toMatch(/[<>]/);
    expect(message.text).toContain('&lt;1m left');
  });
});

describe('a finding message', () => {
  it('explains what was seen: severity, host, process, destination, outcome, times and reasons', () => {
    const message = findingMessage(view(), finding());
    const text = sectionTexts(message);
    expect(text).toContain('🔴 *High* finding on `FIN-WS-042`');
    expect(text).toContain('process with no network history');
    expect(text).toContain('`C:\\Windows\\System32\\rundll32.exe`');
    expect(text).toContain('`CORP\\alice`');
    expect(text).toContain('```rundll32.exe C:\\Users\\alice\\AppData\\Local\\Temp\\upd.dll,Start```');
    expect(text).toContain('`198.18.7.9` (`cdn-fallback.example`) port `8443/tcp`');
    expect(text).toContain('connected');
    expect(text).toContain('3 times');
    expect(text).toContain('first 2026-11-27 10:02:11 UTC');
    expect(text).toContain('• rundll32.exe made no network connections');
    expect((message.blocks as AnyBlock[])[0]?.block_id).toMatch(/^finding:f-rundll32-8443:[\w-]{8}$/);
    expect(message.text).toBe('High finding on FIN-WS-042: rundll32.exe to 198.18.7.9:8443/tcp (INC-2041)');
  });

  it('gives a blocked retry its attempts per minute, and no other finding a retries line', () => {
    const retry = finding({ connected: false, kind: ['blocked_retry'], count: 13, retry_rate: { minutes: 4, peak: 5, peak_minute: '2026-11-27T10:03:00.000Z' } });
    expect(sectionTexts(findingMessage(view(), retry))).toContain('*Retries:* in 4 minutes, at most 5 a minute (2026-11-27 10:03:00 UTC)');
    expect(sectionTexts(findingMessage(view(), finding()))).not.toContain('Retries');
  });

  it('says when no attempt was seen getting through', () => {
    expect(sectionTexts(findingMessage(view(), finding({ connected: false, kind: ['blocked_retry'] })))).toContain('never seen getting through');
  });

  it('escapes hostile telemetry and truncates a huge command line visibly, within Slack limits', () => {
    const hostile = finding({
      host: '<!channel>',
      process: {
        name: '<https://evil.example|totally-safe.exe>',
        path: `C:\\Temp\\@here\\${'p'.repeat(2_000)}.exe`,
        cmd_line: `powershell -enc ${'A'.repeat(40_000)} <@U0123ABC> \`whoami\``,
        user: '*admin*',
      },
      dst: { ip: '203.0.113.9', hostname: '<!everyone>', port: 443 },
      reasons: Array.from({ length: 200 }, (_, i) => `${HOSTILE[i % HOSTILE.length]} ${'reason '.repeat(150)}`),
    });
    const message = findingMessage(view(), hostile);
    expectWithinSlackLimits(message);
    const text = sectionTexts(message);
    expect(text).toContain('`&lt;!channel&gt;`');
    expect(text).toContain('&lt;https://evil.example|totally-safe.exe&gt;');
    expect(text).toMatch(/```powershell -enc A+```… \(truncated, \d+ more characters\)/);
    expect(text).toMatch(/… and \d+ more reasons/);
    expect(message.text).toContain('&lt;!channel&gt;');
  });
});

describe('the verdict message', () => {
  it('states the verdict with its reasons, counts and top findings', () => {
    const closed = view({
      state: 'closed',
      verdict: 'breached',
      verdict_reasons: ['FIN-WS-042 connected to 198.18.7.9:8443 after the block'],
    });
    const findings = [finding({ severity: 'medium', id: 'f-2', score: 50 }), finding(), finding({ id: 'f-3', status: 'benign', severity: 'critical' })];
    const message = verdictMessage(closed, findings);
    const text = sectionTexts(message);
    expect(text).toContain('*🚨 Containment breached*');
    expect(text).toContain('• FIN-WS-042 connected to 198.18.7.9:8443 after the block');
    expect(text).toContain('high 1');
    expect(text.indexOf('🔴 High')).toBeLessThan(text.indexOf('🟠 Medium'));
    expect(text).not.toContain('Critical');
    expect((message.blocks as AnyBlock[])[0]?.block_id).toMatch(/^verdict:w-0001:[\w-]{8}$/);
    expect(message.text).toContain('Containment breached for INC-2041');
  });

  it('stays within Slack limits with hundreds of findings and reasons', () => {
    const closed = { ...hugeView(), state: 'closed' as const, verdict: 'inconclusive' as const, verdict_reasons: Array.from({ length: 100 }, (_, i) => `${HOSTILE[i % HOSTILE.length]} gap ${'g'.repeat(400)}`) };
    const findings = Array.from({ length: 300 }, (_, i) => finding({ id: `f-${i}`, host: HOSTILE[i % HOSTILE.length] ?? 'h' }));
    const message = verdictMessage(closed, findings);
    expectWithinSlackLimits(message);
    expect(sectionTexts(message)).toContain('… and 295 more in the thread');
  });
});

describe('telemetry never becomes a link Slack made up', () => {
  /** Every mrkdwn text object of a message, however deep. */
  function mrkdwnObjects(value: unknown): Record<string, unknown>[] {
    if (Array.isArray(value)) return value.flatMap(mrkdwnObjects);
    if (value === null || typeof value !== 'object') return [];
    const object = value as Record<string, unknown>;
    return [...(object.type === 'mrkdwn' ? [object] : []), ...Object.values(object).flatMap(mrkdwnObjects)];
  }

  it('sends every mrkdwn text of every message verbatim, so a URL or domain in a command line is not auto-linked', () => {
    const hostile = finding({
      process: { name: 'www.evil-c2.example', path: 'C:\\Temp\\https://evil.example/payload', cmd_line: 'curl https://evil.example/x #general www.evil-c2.example' },
    });
    const closed = view({ state: 'closed', verdict: 'breached', verdict_reasons: ['www.evil-c2.example answered'] });
    const messages = [statusMessage(view(), { now: NOW }), statusMessage(closed, { now: NOW }), findingMessage(view(), hostile, { now: NOW }), verdictMessage(closed, [hostile], { now: NOW })];

    const texts = messages.flatMap((message) => mrkdwnObjects(message.blocks));
    expect(texts.length).toBeGreaterThan(10);
    expect(texts.filter((text) => text.verbatim !== true)).toEqual([]);
  });
});

describe('sealing the mrkdwn the product writes', () => {
  it('escapes its own & < >, keeps entities and its mentions by id, and never quotes a line', () => {
    expect(sealMrkdwn('lag <1s & (<1m left) -> `extend <incident>`')).toBe('lag &lt;1s &amp; (&lt;1m left) -&gt; `extend &lt;incident&gt;`');
    expect(sealMrkdwn('&amp; &lt;x&gt; <@U0123ABC> <#C07ABCDEF12> <!subteam^S0123ABC>')).toBe('&amp; &lt;x&gt; <@U0123ABC> <#C07ABCDEF12> <!subteam^S0123ABC>');
    expect(sealMrkdwn('<!channel> <https://evil.example|x> <@alice>')).toBe('&lt;!channel&gt; &lt;https://evil.example|x&gt; &lt;@alice&gt;');
    expect(sealMrkdwn('a\n> quoted\n  &gt; too')).toBe('a\n\u203a quoted\n  \u203a too');
  });

  it('cuts to its limit without splitting an entity, a mention or an emoji', () => {
    for (let max = 10; max < 40; max++) {
      for (const text of [sealMrkdwn('<'.repeat(50)), '<@U0123ABC> '.repeat(5), '😀'.repeat(30)]) {
        const cut = fitMrkdwn(text, max);
        expect(cut.length).toBeLessThanOrEqual(max);
        expect(cut).toMatch(/^(?:&lt;|<@U0123ABC> |😀|<@U0123ABC>)*…$/u);
      }
    }
  });
});
