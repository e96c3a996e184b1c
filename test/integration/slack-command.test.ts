import { afterEach, describe, expect, it } from 'vitest';
import { SLACK_CHANNEL, type Pipeline } from '../helpers/pipeline.js';
import { RESPONDER, STRANGER, slackActionsDone, startSlackPipeline, threadNotes } from '../helpers/slack-pipeline.js';
import { sendSlashCommand, type User } from '../helpers/slack-requests.js';
import { waitFor } from '../helpers/wait.js';

const HOUR = 3_600_000;

interface Answer {
  response_type?: string;
  text?: string;
  blocks?: unknown;
}

describe('/containment, the slash command', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  async function command(text: string, options: { user?: User; channel?: string; triggerId?: string; retryNum?: number } = {}): Promise<Answer & { all: string }> {
    const p = pipeline!;
    const response = await sendSlashCommand(
      p.api.url,
      {
        user: options.user ?? RESPONDER,
        channel: options.channel ?? SLACK_CHANNEL,
        text,
        responseUrl: p.slack.responseUrl(options.triggerId ?? text),
        ...(options.triggerId === undefined ? {} : { triggerId: options.triggerId }),
      },
      options.retryNum === undefined ? {} : { retryNum: options.retryNum },
    );
    expect(response.status).toBe(200);
    const answer = response.body as Answer;
    expect(answer.response_type).toBe('ephemeral');
    expect(answer).toMatchObject({ parse: 'none', unfurl_links: false, unfurl_media: false });
    return { ...answer, all: `${answer.text ?? ''} ${JSON.stringify(answer.blocks ?? [])}` };
  }

  it('answers help, list and status privately, and says what was wrong with a command it cannot run', async () => {
    pipeline = await startSlackPipeline({ scenario: 'benign' });
    const first = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
    await pipeline.send(pipeline.request({ incident_id: 'INC-2042', slack_channel: 'C0OTHERCHAN1', action_id: 'other', watch: { duration: '2h', poll_interval: '1s', baseline: '7d' } }));

    // Slack requires < and > as entities in mrkdwn: a raw <incident> would be read as a link.
    expect((await command('help')).all).toMatch(/status \[incident\].*list.*extend &lt;incident&gt; &lt;duration&gt;.*stop &lt;incident&gt; \[reason\]/s);
    expect((await command('')).all).toMatch(/help/);

    const list = await command('list');
    expect(list.all).toContain('INC-2041');
    expect(list.all).toContain('INC-2042');
    expect(list.all).toContain('<#C0OTHERCHAN1>');

    const here = await command('status');
    expect(here.all).toContain(`status:${first.data.watch_id}`);
    expect(here.all).not.toContain('INC-2042');
    expect((await command('status INC-2042')).all).toContain('INC-2042');
    expect((await command('status INC-404')).all).toMatch(/no watch for `INC-404`/);

    expect((await command('frobnicate now')).all).toMatch(/don't know `frobnicate`/);
    expect((await command('extend INC-2041 forever')).all).toMatch(/not a duration/);
    expect((await command('extend INC-2041 90d')).all).toMatch(/out of range/);
    expect((await command('extend INC-2041')).all).toMatch(/Name the incident and the duration/);
    expect((await command('stop')).all).toMatch(/Name the incident to stop/);
    expect((await command('extend INC-404 2h')).all).toMatch(/no active watch for `INC-404`/);
    expect((await command('status <!channel> x')).all).toMatch(/one incident at most/);
  });

  it('extend and stop: a stranger is refused on the spot; a responder extends once despite a retry, then stops, and hears back through response_url', async () => {
    pipeline = await startSlackPipeline({ scenario: 'benign' });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
    const watchId = opened.data.watch_id as string;
    const before = Date.parse((await pipeline.watch(watchId)).expires_at);

    const refused = await command('extend INC-2041 2h', { user: STRANGER, triggerId: 'trigger-stranger' });
    const refusal = /Sorry, you are not allowed to extend the watch of `INC-2041`.*members of <#C07ABCDEF12>/s;
    if (refusal.test(refused.all)) {
      expect(await slackActionsDone(pipeline)).toEqual({ completed: 0, failed: 0 });
    } else {
      // The membership look-up outlasted the listener's precheck (a loaded machine): the worker checks again and
      // refuses through response_url. Either way the stranger changes nothing.
      const late = await waitFor(async () => pipeline!.slack.responses().find((response) => response.id === 'trigger-stranger'), {
        what: 'the refusal on response_url',
      });
      expect(JSON.stringify(late.body)).toMatch(/Sorry, you are not allowed to extend the watch of `INC-2041`/);
      await slackActionsDone(pipeline);
    }
    expect(Date.parse((await pipeline.watch(watchId)).expires_at)).toBe(before);

    const accepted = await command('extend INC-2041 2h', { triggerId: 'trigger-extend-1' });
    expect(accepted.all).toMatch(/Extending the watch of `INC-2041` by 2h/);
    await command('extend INC-2041 2h', { triggerId: 'trigger-extend-1', retryNum: 1 });
    await slackActionsDone(pipeline);
    expect(Date.parse((await pipeline.watch(watchId)).expires_at) - before).toBe(2 * HOUR);
    const answered = await waitFor(async () => pipeline!.slack.responses().find((response) => response.id === 'trigger-extend-1'), {
      what: 'the answer on response_url',
    });
    expect(answered.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/Extended the watch of `INC-2041` by 2h/) });
    expect(pipeline.slack.responses().filter((response) => response.id === 'trigger-extend-1')).toHaveLength(1);

    await command('stop INC-2041 contained by reimage', { triggerId: 'trigger-stop-1' });
    const closed = await pipeline.closed(watchId);
    expect(closed.stop_reason).toBe('contained by reimage');
    expect(closed.audit.map((entry) => [entry.action, entry.actor])).toEqual([
      ['open', 'hmac'],
      ['extend', 'slack:U0RESPOND1 (alice)'],
      ['stop', 'slack:U0RESPOND1 (alice)'],
      ['close', 'containment-watch'],
    ]);
    expect(threadNotes(pipeline)).toHaveLength(2);
    expect((await command('extend INC-2041 1h')).all).toMatch(/no active watch for `INC-2041`/);
  });
});
