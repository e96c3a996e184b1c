import type { Request, Response } from 'express';
import { answerAfterHang, type FakeFailure } from '../../../dev/vendor-failure.js';

/** Elasticsearch's error envelope: `{error: {root_cause, type, reason}, status}`. */
export function esError(res: Response, status: number, type: string, reason: string): void {
  res.status(status).json({ error: { root_cause: [{ type, reason }], type, reason }, status });
}

export function unauthenticated(res: Response): void {
  res.set('WWW-Authenticate', 'ApiKey');
  esError(res, 401, 'security_exception', 'unable to authenticate with provided credentials and anonymous access is not allowed for this request');
}

/** Answers with the failure in Elasticsearch's own shape; returns the status recorded for it. */
export function answerFailure(failure: FakeFailure, req: Request, res: Response): number {
  switch (failure.kind) {
    case 'unauthorized':
      unauthenticated(res);
      return 401;
    case 'rate_limited':
      // Elasticsearch itself sends no hint; the proxy in front of Elastic Cloud deployments sends Retry-After.
      res.set('Retry-After', String(failure.retryAfterSeconds));
      esError(res, 429, 'es_rejected_execution_exception', 'rejected execution of coordinating operation [search], queue capacity [1000] exceeded');
      return 429;
    case 'server_error':
      esError(res, 503, 'search_phase_execution_exception', 'all shards failed');
      return 503;
    case 'timeout':
      answerAfterHang(req, res, () => esError(res, 504, 'timeout_exception', 'gateway timeout'));
      return 504;
    case 'garbage':
      res.status(200).type('text/html').send('<html><head><title>Kibana</title></head><body>Loading Elastic</body></html>');
      return 200;
    case 'truncated':
      res.status(200).type('application/json').send('{"pit_id":"abc","took":3,"timed_out":false,"hits":{"hits":[{"_index":".ds-logs');
      return 200;
    case 'unexpected_json':
      res.status(200).json({ acknowledged: true });
      return 200;
  }
}
