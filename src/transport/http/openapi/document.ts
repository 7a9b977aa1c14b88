// The OpenAPI 3.1 document of a REST listener, built from the very route table the transcoder
// compiles from the google.api.http annotations (routes.ts), so the two cannot disagree: paths
// and methods from each rule and its additional_bindings, path variables, the body mapping, the
// remaining fields as query parameters, and the messages in protojson with proto names.
import { REASONS } from '../../../domain/errors.js';
import type { FieldInfo, MessageInfo, Registry } from '../../registry.js';
import { FORM_RPCS } from '../request.js';
import { compileRoutes, RouteTable, type GenericServiceDefinition, type Route } from '../routes.js';
import { firstSentence } from './comments.js';
import { SchemaSet, type Schema } from './schema.js';

export type ApiAudience = 'public' | 'admin';

export interface ApiDocumentOptions {
  title: string;
  description: string;
  audience: ApiAudience;
  services: readonly GenericServiceDefinition[];
  registry: Registry;
  /** protoComments() of the files that define the services. */
  comments: ReadonlyMap<string, string>;
}

const ERROR_DESCRIPTION = `google.rpc.Status as grpc-gateway writes it, its details an ErrorInfo first (reason, domain \
"signet.auth.v1", metadata), then BadRequest, RetryInfo and LocalizedMessage where they apply; plus the \
error / error_code / error_description of CloudBase, for its SDK. The reasons are listed in the README's \
error catalogue.`;

const SECURITY_SCHEMES: Record<ApiAudience, Record<string, Schema>> = {
  public: {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: "A user's access token, for the calls made on a signed-in user's behalf (/auth/v1/user/…, /oidc/userinfo).",
    },
    clientBasic: {
      type: 'http',
      scheme: 'basic',
      description: 'A client id and secret (client_secret_basic); client_id and client_secret in the body or query do as well.',
    },
  },
  admin: {
    adminToken: {
      type: 'http',
      scheme: 'bearer',
      description: 'The admin token (SIGNET_ADMIN_TOKEN, or the one generated in the data directory).',
    },
  },
};

/** The methods a path item can have (a custom rule may name any other). */
const OPENAPI_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** The document of the services' annotated RPCs. */
export function openApiDocument(opts: ApiDocumentOptions): Record<string, unknown> {
  const table = new RouteTable();
  for (const def of opts.services) compileRoutes(table, def, {}, opts.registry);
  const schemas = new SchemaSet(opts.comments);
  const paths: Record<string, Record<string, unknown>> = {};
  const bindings = new Map<string, number>();
  for (const route of table.routes) {
    const n = (bindings.get(route.rpc) ?? 0) + 1;
    bindings.set(route.rpc, n);
    const method = route.httpMethod.toLowerCase();
    if (!OPENAPI_METHODS.has(method)) throw new Error(`openapi: ${route.rpc}: OpenAPI has no method ${route.httpMethod}`);
    const p = openApiPath(route);
    paths[p] = { ...paths[p], [method]: operation(route, n, schemas, opts) };
  }
  schemas.schemas.Error = errorSchema(schemas, opts.registry);
  return {
    openapi: '3.1.0',
    info: { title: opts.title, version: 'v1', description: opts.description },
    tags: opts.services.map((s) => ({ name: s.name, description: opts.comments.get(s.fullName) ?? '' })),
    paths,
    components: {
      schemas: schemas.schemas,
      responses: {
        Error: {
          description: 'An error (google.rpc.Status).',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
      securitySchemes: SECURITY_SCHEMES[opts.audience],
    },
    ...(opts.audience === 'admin' ? { security: [{ adminToken: [] }] } : {}),
  };
}

function operation(route: Route, binding: number, schemas: SchemaSet, opts: ApiDocumentOptions): Record<string, unknown> {
  const [service, method] = route.rpc.split('/');
  const shortService = service.slice(service.lastIndexOf('.') + 1);
  const comment = opts.comments.get(route.rpc) ?? '';
  const op: Record<string, unknown> = {
    operationId: `${shortService}_${method}${binding > 1 ? `_${binding}` : ''}`,
    tags: [shortService],
    summary: comment ? firstSentence(comment) : method,
    description: `${comment}\n\ngRPC: \`${route.rpc}\``.trim(),
  };
  const parameters = [...pathParameters(route, schemas), ...queryParameters(route, schemas)];
  if (parameters.length > 0) op.parameters = parameters;
  if (route.body !== '') {
    const schema = route.body === '*' ? schemas.message(route.request) : schemas.field(route.body, route.request);
    const content: Record<string, unknown> = { 'application/json': { schema } };
    if (FORM_RPCS.has(route.rpc)) content['application/x-www-form-urlencoded'] = { schema };
    op.requestBody = { content };
  }
  op.responses = {
    '200': { description: 'OK', content: { 'application/json': { schema: schemas.message(route.response) } } },
    default: { $ref: '#/components/responses/Error' },
  };
  if (opts.audience === 'public') {
    // A client may name itself in the message instead ({}: no header needed).
    if (USER_PATH.test(route.template)) op.security = [{ bearerAuth: [] }];
    else if (route.request.byName.has('client_id')) op.security = [{ clientBasic: [] }, {}];
  }
  return op;
}

/**
 * The calls that act for a signed-in user: CloudBase's /auth/v1/user/... (and v2), as the
 * AccountService comment says, and OpenID Connect's UserInfo.
 */
const USER_PATH = /\/user(info)?(\/|$)/;

/** `/a/{b.c=x/*}:verb` → `/a/{b.c}:verb`; anonymous `*` segments have no OpenAPI form. */
export function openApiPath(route: Route): string {
  const path = route.template.replace(/\{([^}=]+)(=[^}]*)?\}/g, '{$1}');
  if (/(^|\/)\*\*?(\/|:|$)/.test(path)) throw new Error(`openapi: ${route.rpc}: ${route.template} has a segment without a name`);
  return path;
}

function pathParameters(route: Route, schemas: SchemaSet): Schema[] {
  return route.vars.map((v) => {
    const leaf = v.fields[v.fields.length - 1];
    const owner = v.fields.length > 1 ? v.fields[v.fields.length - 2].message : route.request;
    return parameter(v.fields.map((f) => f.name).join('.'), 'path', schemas.field(leaf, owner));
  });
}

/** As in grpc-gateway: every field not bound to the path or the body, nested ones dotted. */
function queryParameters(route: Route, schemas: SchemaSet): Schema[] {
  if (route.body === '*') return [];
  const bound = new Set(route.vars.map((v) => v.fields.map((f) => f.name).join('.')));
  if (typeof route.body === 'object') bound.add(route.body.name);
  const out: Schema[] = [];
  const walk = (msg: MessageInfo, prefix: string, seen: ReadonlySet<string>) => {
    for (const f of msg.fields) {
      const name = prefix + f.name;
      if (bound.has(name) || !queryable(f)) continue;
      if (f.message && !f.wellKnown) {
        if (!f.repeated && !seen.has(f.message.typeName)) walk(f.message, `${name}.`, new Set([...seen, f.message.typeName]));
        continue;
      }
      out.push(parameter(name, 'query', schemas.field(f, msg)));
    }
  };
  walk(route.request, '', new Set([route.request.typeName]));
  return out;
}

/** The field's comment goes on the parameter, where a reader of the operation sees it. */
function parameter(name: string, where: 'path' | 'query', fieldSchema: Schema): Schema {
  const { description, ...schema } = fieldSchema;
  return { name, in: where, required: where === 'path', ...(description ? { description } : {}), schema };
}

/** Maps, and JSON-shaped well-known types, have no query-string form here. */
const queryable = (f: FieldInfo) => !f.map && !['struct', 'value', 'listvalue', 'any'].includes(f.wellKnown ?? '');

function errorSchema(schemas: SchemaSet, reg: Registry): Schema {
  return {
    description: ERROR_DESCRIPTION,
    allOf: [
      schemas.message(reg.message('google.rpc.Status')),
      {
        type: 'object',
        properties: {
          error: { type: 'string', enum: Object.keys(REASONS), description: 'The reason (ErrorInfo.reason).' },
          error_code: { type: 'integer', description: 'The gRPC code, as `code`.' },
          error_description: { type: 'string', description: 'The message, as `message`.' },
        },
      },
    ],
  };
}
