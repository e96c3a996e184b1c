import axios, { type AxiosResponse } from 'axios';
import { hmacSignature } from '../api/auth.js';

export type WebhookAuth = { hmacSecret: string } | { token: string };

/** Sends a containment request exactly as workflows/generic/send-containment.sh does. */
export async function sendContainment(baseUrl: string, body: string, auth: WebhookAuth): Promise<AxiosResponse> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if ('token' in auth) headers.Authorization = `Bearer ${auth.token}`;
  else {
    const timestamp = String(Math.floor(Date.now() / 1000));
    headers['X-CW-Timestamp'] = timestamp;
    headers['X-CW-Signature'] = hmacSignature(auth.hmacSecret, timestamp, body);
  }
  return axios.post(`${baseUrl}/v1/containments`, body, { headers, validateStatus: () => true, transformRequest: [(data) => data] });
}
