import * as z from 'zod';
import { createClientCredentialsTokenProvider, expiresInSeconds, type TokenProvider } from '../http/client-credentials-token.js';
import type { SourceHttpClient } from '../http/source-http-client.js';

export type { TokenProvider } from '../http/client-credentials-token.js';

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

const TokenResponseSchema = z.object({
  token_type: z.string().regex(/^bearer$/i),
  expires_in: expiresInSeconds,
  access_token: z.string().min(1),
});

export interface EntraTokenOptions {
  sourceId: string;
  /** Client for the Entra authority (`token_url`). */
  http: SourceHttpClient;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Default: the Graph `.default` scope. */
  scope?: string;
  now?: () => number;
}

/** OAuth2 client credentials against Entra's v2 endpoint for the tenant. */
export function createEntraTokenProvider(options: EntraTokenOptions): TokenProvider {
  return createClientCredentialsTokenProvider({
    sourceId: options.sourceId,
    http: options.http,
    url: `/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`,
    form: {
      grant_type: 'client_credentials',
      client_id: options.clientId,
      client_secret: options.clientSecret,
      scope: options.scope ?? GRAPH_SCOPE,
    },
    response: TokenResponseSchema,
    now: options.now,
  });
}
