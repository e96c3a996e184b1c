import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * A loopback fake of Slack's Socket Mode endpoint: the WebSocket URL that `apps.connections.open` hands out. It
 * speaks just enough RFC 6455 (text frames, close, ping) to greet the app with `hello`, push envelopes to it, and
 * collect the app's acknowledgements `{envelope_id, payload}`.
 */
export interface FakeSocketMode {
  /** `ws://…` for `apps.connections.open`. */
  readonly url: string;
  /** Resolves once an app has connected and been greeted. */
  connected(): Promise<void>;
  /** Pushes an envelope (`interactive`, `slash_commands`, `events_api`) and resolves with the app's ack payload. */
  push(type: string, payload: unknown): Promise<unknown>;
  close(): Promise<void>;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function frame(opcode: number, data: Buffer): Buffer {
  const length = data.length;
  const head = length < 126 ? Buffer.from([0x80 | opcode, length]) : length < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (length >= 126 && length < 65_536) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(length, 2);
  } else if (length >= 65_536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([head, data]);
}

/** Splits complete client frames (always masked) off `buffer`; returns them and what is left. */
function readFrames(buffer: Buffer): { frames: { opcode: number; data: Buffer }[]; rest: Buffer } {
  const frames: { opcode: number; data: Buffer }[] = [];
  let offset = 0;
  for (;;) {
    if (buffer.length - offset < 2) break;
    const opcode = buffer[offset]! & 0x0f;
    let length = buffer[offset + 1]! & 0x7f;
    let cursor = offset + 2;
    if (length === 126) {
      if (buffer.length - cursor < 2) break;
      length = buffer.readUInt16BE(cursor);
      cursor += 2;
    } else if (length === 127) {
      if (buffer.length - cursor < 8) break;
      length = Number(buffer.readBigUInt64BE(cursor));
      cursor += 8;
    }
    if (buffer.length - cursor < 4 + length) break;
    const mask = buffer.subarray(cursor, cursor + 4);
    const data = Buffer.from(buffer.subarray(cursor + 4, cursor + 4 + length));
    for (let index = 0; index < data.length; index++) data[index] = data[index]! ^ mask[index % 4]!;
    frames.push({ opcode, data });
    offset = cursor + 4 + length;
  }
  return { frames, rest: buffer.subarray(offset) };
}

export async function startFakeSocketMode(): Promise<FakeSocketMode> {
  const waiting = new Map<string, (payload: unknown) => void>();
  let socket: Duplex | undefined;
  let greeted: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    greeted = resolve;
  });

  const server: Server = createServer((_req, res) => {
    res.writeHead(426).end();
  });
  server.on('upgrade', (req: IncomingMessage, upgraded: Duplex) => {
    const key = req.headers['sec-websocket-key'];
    const accept = createHash('sha1').update(`${String(key)}${GUID}`).digest('base64');
    upgraded.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket = upgraded;
    let pending: Buffer = Buffer.alloc(0);
    upgraded.on('data', (chunk: Buffer) => {
      const { frames, rest } = readFrames(Buffer.concat([pending, chunk]));
      pending = rest;
      for (const { opcode, data } of frames) {
        if (opcode === 0x9) upgraded.write(frame(0xa, data));
        else if (opcode === 0x8) upgraded.end(frame(0x8, Buffer.alloc(0)));
        else if (opcode === 0x1) {
          const message = JSON.parse(data.toString('utf8')) as { envelope_id?: string; payload?: unknown };
          if (message.envelope_id !== undefined) waiting.get(message.envelope_id)?.(message.payload);
        }
      }
    });
    upgraded.on('error', () => undefined);
    upgraded.write(frame(0x1, Buffer.from(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0TEST' } }))));
    greeted();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `ws://127.0.0.1:${port}/link`,
    connected: () => ready,
    push(type, payload) {
      const envelopeId = randomUUID();
      const acked = new Promise<unknown>((resolve) => waiting.set(envelopeId, resolve));
      if (socket === undefined) throw new Error('no app is connected');
      socket.write(frame(0x1, Buffer.from(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api' }))));
      return acked;
    },
    close: () =>
      new Promise<void>((resolve) => {
        socket?.destroy();
        server.close(() => resolve());
      }),
  };
}
