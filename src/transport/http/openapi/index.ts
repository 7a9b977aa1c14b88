// The API documents of the two REST listeners: the public one (AuthService, AccountService) and
// the admin one (AdminService), each served by its own listener.
import { AccountServiceDefinition } from '../../../gen/signet/auth/v1/account_service.js';
import { AdminServiceDefinition } from '../../../gen/signet/auth/v1/admin_service.js';
import { AuthServiceDefinition } from '../../../gen/signet/auth/v1/auth_service.js';
import { defaultRegistry, type Registry } from '../../registry.js';
import type { GenericServiceDefinition } from '../routes.js';
import type { ExtraRoute } from '../server.js';
import { protoComments } from './comments.js';
import { openApiDocument, type ApiAudience } from './document.js';
import { apiDocRoutes } from './routes.js';

export { openApiDocument, openApiPath, type ApiAudience } from './document.js';
export { protoComments } from './comments.js';

/** What each listener serves (app.ts); the served documents are checked against these. */
export const API_SERVICES: Readonly<Record<ApiAudience, readonly GenericServiceDefinition[]>> = {
  public: [AuthServiceDefinition, AccountServiceDefinition],
  admin: [AdminServiceDefinition],
};

const TITLES: Record<ApiAudience, string> = { public: 'Signet REST API', admin: 'Signet admin REST API' };

const DESCRIPTIONS: Record<ApiAudience, string> = {
  public: `The REST form of Signet's gRPC services, transcoded in the manner of grpc-gateway from the \
google.api.http annotations of proto/signet/auth/v1 (JSON with proto field names; unknown fields \
refused). Not listed: the HZERO dialect (/oauth/...), the hosted pages (/oidc/authorize, /device) and \
OpenID RP-initiated logout (/oidc/logout), which are not RPCs.`,
  admin: `The REST form of AdminService, on the admin listener only (127.0.0.1 by default). Every call \
needs the admin token as a bearer token.`,
};

/** The document of a listener serving these services. */
export function apiDocument(
  audience: ApiAudience,
  services: readonly GenericServiceDefinition[] = API_SERVICES[audience],
  registry: Registry = defaultRegistry(),
): Record<string, unknown> {
  return openApiDocument({
    title: TITLES[audience],
    description: DESCRIPTIONS[audience],
    audience,
    services,
    registry,
    comments: protoComments(),
  });
}

/** GET /openapi.json and /docs for a listener serving these services (as given to createHttpServer). */
export function openApiRoutes(
  audience: ApiAudience,
  services: ReadonlyArray<{ definition: GenericServiceDefinition }>,
  registry: Registry,
): ExtraRoute[] {
  return apiDocRoutes(TITLES[audience], () =>
    apiDocument(
      audience,
      services.map((s) => s.definition),
      registry,
    ),
  );
}
