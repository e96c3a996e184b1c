import axios, { type AxiosResponse } from 'axios';
import { signatureHeaders } from '../src/api/auth.js';

/** What a SOAR's webhook call came to: an HTTP status, or no answer within the caller's timeout. */
export interface WebhookOutcome {
  status: number | 'no_answer';
  ms: number;
  body: unknown;
  /** Why there was no answer: the client's error code. */
  error?: string;
}

/** Sends a containment request HMAC-signed, as workflows/generic/send-containment.sh does, with a caller's timeout. */
export async function postContainment(apiUrl: string, body: unknown, hmacSecret: string, timeoutMs: number): Promise<WebhookOutcome> {
  const raw = JSON.stringify(body);
  const started = Date.now();
  try {
    const response: AxiosResponse = await axios.post(`${apiUrl}/v1/containments`, raw, {
      headers: { 'Content-Type': 'application/json', ...signatureHeaders(hmacSecret, { method: 'POST', pathAndQuery: '/v1/containments', body: raw }) },
      validateStatus: () => true,
      transformRequest: [(data) => data],
      timeout: timeoutMs,
    });
    return { status: response.status, ms: Date.now() - started, body: response.data };
  } catch (error) {
    const code = axios.isAxiosError(error) ? (error.code ?? error.message) : String(error);
    return { status: 'no_answer', ms: Date.now() - started, body: undefined, error: code };
  }
}
