import type { Request, Response } from 'express';
import { answerAfterHang, type FakeFailure } from '../../../dev/vendor-failure.js';

const ERROR_CODES: Readonly<Record<number, [number, string]>> = {
  400: [4000010, 'Validation Error'],
  401: [4010010, 'Authentication Failed'],
  404: [4040010, 'Not Found'],
  429: [4290010, 'Too Many Requests'],
  500: [5000010, 'Server Error'],
  504: [5040010, 'Gateway Timeout'],
};

/** SentinelOne's error envelope: `{errors: [{code, title, detail}]}`. */
export function s1Error(res: Response, status: number, detail: string): void {
  const [code, title] = ERROR_CODES[status] ?? [status * 10_000 + 10, 'Error'];
  res.status(status).json({ errors: [{ code, title, detail }] });
}

/** Answers with the failure in SentinelOne's own shape; returns the status recorded for it. */
export function answerFailure(failure: FakeFailure, req: Request, res: Response): number {
  switch (failure.kind) {
    case 'unauthorized':
      s1Error(res, 401, 'Authentication failed');
      return 401;
    case 'rate_limited':
      // SentinelOne documents no throttle header publicly; the standard Retry-After is what the fake sends.
      res.set('Retry-After', String(failure.retryAfterSeconds));
      s1Error(res, 429, 'Too many requests');
      return 429;
    case 'server_error':
      s1Error(res, 500, 'Internal server error');
      return 500;
    case 'timeout':
      answerAfterHang(req, res, () => s1Error(res, 504, 'Gateway timeout'));
      return 504;
    case 'garbage':
      res.status(200).type('text/html').send('<!DOCTYPE html><html><body>Maintenance</body></html>');
      return 200;
    case 'truncated':
      res.status(200).type('application/json').send('{"data":[{"id":"16000000","eventType":"IP Co');
      return 200;
    case 'unexpected_json':
      res.status(200).json({ result: 'ok', rows: [] });
      return 200;
  }
}
