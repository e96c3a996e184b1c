import axios, { type AxiosResponse } from 'axios';
import { signatureHeaders } from '../api/auth.js';

export type WebhookAuth = { hmacSecret: string } | { token: string };

/** Sends a containment request exactly as workflows/generic/send-containment.sh does. */
export async function sendContainment(baseUrl: string, body: string, auth: WebhookAuth, signedAtMs = Date.now()): Promise<AxiosResponse> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if ('token' in auth) headers.Authorization = `Bearer ${auth.token}`;
  else Object.assign(headers, signatureHeaders(auth.hmacSecret, { method: 'POST', pathAndQuery: '/v1/containments', body }, signedAtMs));
  return axios.post(`${baseUrl}/v1/containments`, body, { headers, validateStatus: () => true, transformRequest: [(data) => data] });
}
