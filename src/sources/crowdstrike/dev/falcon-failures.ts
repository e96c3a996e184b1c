import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { answerAfterHang, type FakeFailure } from '../../../dev/vendor-failure.js';

/** Falcon's `msa` envelope: `{meta, resources, errors}`. */
export function falconEnvelope(resources: unknown[], errors: { code: number; message: string }[] = [], pagination?: object) {
  return { meta: { query_time: 0.004, powered_by: 'fake-falcon', trace_id: randomUUID(), ...(pagination ? { pagination } : {}) }, resources, errors };
}

export function falconError(res: Response, status: number, message: string): void {
  res.status(status).json(falconEnvelope([], [{ code: status, message }]));
}

/** Answers with the failure in Falcon's own shape; returns the status recorded for it. */
export function answerFailure(failure: FakeFailure, req: Request, res: Response, nowMs: number): number {
  switch (failure.kind) {
    case 'unauthorized':
      falconError(res, 401, 'access denied, authorization failed');
      return 401;
    case 'rate_limited':
      // Falcon's hint: the epoch second from which the window has room again.
      res.set({ 'X-Ratelimit-Remaining': '0', 'X-Ratelimit-Retryafter': String(Math.ceil((nowMs + failure.retryAfterSeconds * 1_000) / 1_000)) });
      falconError(res, 429, 'API rate limit exceeded.');
      return 429;
    case 'server_error':
      falconError(res, 500, 'internal server error');
      return 500;
    case 'timeout':
      answerAfterHang(req, res, () => falconError(res, 504, 'gateway timeout'));
      return 504;
    case 'garbage':
      res.status(200).type('text/html').send('<html><body><h1>502 Bad Gateway</h1></body></html>');
      return 200;
    case 'truncated':
      res.status(200).type('application/json').send('{"meta":{"query_time":0.01,"trace_id":"x"},"resources":["a1b2');
      return 200;
    case 'unexpected_json':
      res.status(200).json({ status: 'ok', items: [{ note: 'not a Falcon answer' }] });
      return 200;
  }
}
