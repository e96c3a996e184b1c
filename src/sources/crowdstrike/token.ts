import * as z from 'zod';
import { createClientCredentialsTokenProvider, expiresInSeconds, type TokenProvider } from '../http/client-credentials-token.js';
import type { SourceHttpClient } from '../http/source-http-client.js';

export type { TokenProvider } from '../http/client-credentials-token.js';

/** `POST /oauth2/token` answers 201 with `expires_in` in seconds (1799 for Falcon's 30-minute tokens). */
const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: expiresInSeconds,
  token_type: z.string().regex(/^bearer$/i).optional(),
});

export interface FalconTokenOptions {
  sourceId: string;
  /** A client for the API gateway that does not spend the request budget. */
  http: SourceHttpClient;
  clientId: string;
  clientSecret: string;
  memberCid?: string;
  now?: () => number;
}

/** OAuth2 client credentials against the Falcon gateway (a member CID picks an MSSP child tenant). */
export function createFalconTokenProvider(options: FalconTokenOptions): TokenProvider {
  return createClientCredentialsTokenProvider({
    sourceId: options.sourceId,
    http: options.http,
    url: '/oauth2/token',
    form: {
      client_id: options.clientId,
      client_secret: options.clientSecret,
      ...(options.memberCid ? { member_cid: options.memberCid } : {}),
    },
    response: TokenResponseSchema,
    now: options.now,
  });
}
