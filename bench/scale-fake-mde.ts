/**
 * The scale bench's Defender fake, run in a process of its own (forked by bench/scale.ts) so the fake's work does
 * not share the measured worker's event loop. Controlled over IPC: the live volume, implants falling back, and
 * the count of hunting requests by kind.
 */
import express from 'express';
import { FakeMde } from '../src/sources/mde/dev/fake-mde-server.js';
import { readHuntingQuery } from '../src/sources/mde/dev/kql-reader.js';
import { ScaleEstate } from './scale-estate.js';

export type FakeCommand =
  | { type: 'volume'; rows: number; windowMs: number }
  | { type: 'fallback'; starts: [number, number][] }
  | { type: 'requests' }
  | { type: 'cpu' };

export type FakeReply =
  | { type: 'ready'; url: string }
  | { type: 'done' }
  | { type: 'requests'; byKind: Record<string, number> }
  | { type: 'cpu'; ms: number };

export const FAKE_CREDENTIALS = { tenantId: 'scale-tenant', clientId: 'scale-client', clientSecret: 'scale-secret' };

class NarrowingFakeMde extends FakeMde {
  constructor(private readonly estate: ScaleEstate) {
    super({ scenario: estate.scenario(), ...FAKE_CREDENTIALS });
  }

  protected override app() {
    const inner = super.app();
    const outer = express();
    outer.use(express.json({ limit: '1mb' }), (req, _res, next) => {
      const query = typeof req.body?.Query === 'string' ? tryRead(req.body.Query) : undefined;
      this.estate.narrowTo(query?.hosts, next);
    });
    outer.use(inner);
    return outer;
  }
}

function tryRead(text: string) {
  try {
    return readHuntingQuery(text);
  } catch {
    return undefined;
  }
}

const send = (reply: FakeReply) => process.send?.(reply);
const { hosts, blockedAt } = JSON.parse(process.argv[2] ?? '{}') as { hosts: number; blockedAt: number };
const estate = new ScaleEstate({ hosts, blockedAt });
const fake = await new NarrowingFakeMde(estate).start();

process.on('message', (command: FakeCommand) => {
  if (command.type === 'volume') {
    estate.setVolume(command.rows, command.windowMs);
    send({ type: 'done' });
  } else if (command.type === 'fallback') {
    estate.fallBack(new Map(command.starts));
    send({ type: 'done' });
  } else if (command.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    send({ type: 'cpu', ms: (user + system) / 1_000 });
  } else {
    const byKind: Record<string, number> = {};
    for (const request of fake.requests) {
      const kind = request.query?.kind ?? 'unreadable';
      byKind[kind] = (byKind[kind] ?? 0) + 1;
    }
    send({ type: 'requests', byKind });
  }
});
process.on('disconnect', () => void fake.close().then(() => process.exit(0)));
send({ type: 'ready', url: fake.url });
