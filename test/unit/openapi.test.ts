// The OpenAPI documents: valid OpenAPI 3.1, every google.api.http rule of the .proto files in
// them (read from the proto text, independently of the route compiler), and every documented
// operation routed by the transcoder to its RPC.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { HttpRule } from '../../src/gen/google/api/http.js';
import { API_SERVICES, apiDocument, type ApiAudience } from '../../src/transport/http/openapi/index.js';
import { compileRoutes, RouteTable, type GenericServiceDefinition } from '../../src/transport/http/routes.js';
import { defaultRegistry } from '../../src/transport/registry.js';
import { definition } from '../helpers/http-rules.js';

const PROTO_DIR = path.join(__dirname, '../../proto/signet/auth/v1');

type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } } & Record<string, any>;

const build = (audience: ApiAudience, services?: GenericServiceDefinition[]): Doc => apiDocument(audience, services) as Doc;

/** "METHOD /path" of every http rule (additional bindings included) in a service's .proto file. */
function protoRules(service: string): string[] {
  const file = readdirSync(PROTO_DIR).find((f) => readFileSync(path.join(PROTO_DIR, f), 'utf8').includes(`\nservice ${service} {`));
  const text = readFileSync(path.join(PROTO_DIR, file!), 'utf8');
  return [...text.matchAll(/\b(get|put|post|delete|patch):\s*"([^"]+)"/g)].map(([, m, p]) => `${m.toUpperCase()} ${p}`);
}

const operations = (doc: Doc) =>
  Object.entries(doc.paths).flatMap(([p, item]) =>
    Object.keys(item).map((m) => ({ key: `${m.toUpperCase()} ${p}`, op: item[m], path: p, method: m })),
  );

/** Every "$ref" in the document. */
function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const v of node) refs(v, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe.each(['public', 'admin'] as const)('the %s document', (audience) => {
  const doc = build(audience);

  it('is valid OpenAPI 3.1 and every $ref resolves', async () => {
    const result = await new Validator().validate(structuredClone(doc));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    for (const r of refs(doc)) {
      const [, kind, name] = /^#\/components\/(\w+)\/(.+)$/.exec(r) ?? [];
      expect(doc.components[kind as 'schemas']?.[name], r).toBeDefined();
    }
  });

  it('has every annotated route of the .proto files, with its method, and nothing else', () => {
    const expected = API_SERVICES[audience].flatMap((s) => protoRules(s.name));
    expect(expected.length).toBeGreaterThan(audience === 'admin' ? 20 : 40);
    const documented = operations(doc).map((o) => o.key);
    expect(documented.sort()).toEqual(expected.sort());
  });

  it('each operation is routed by the transcoder to the RPC it names', () => {
    const table = new RouteTable();
    for (const def of API_SERVICES[audience]) compileRoutes(table, def, {}, defaultRegistry());
    const ids = new Set<string>();
    for (const { op, path: p, method } of operations(doc)) {
      const concrete = p.replace(/\{[^}]+\}/g, 'x1');
      const match = table.match(method.toUpperCase(), concrete);
      expect(match, `${method} ${p}`).toBeDefined();
      expect(op.description).toContain(`\`${match!.route.rpc}\``);
      expect(ids.has(op.operationId)).toBe(false);
      ids.add(op.operationId);
      for (const name of p.match(/\{[^}]+\}/g) ?? []) {
        expect(op.parameters).toContainEqual(expect.objectContaining({ name: name.slice(1, -1), in: 'path', required: true }));
      }
      expect(op.responses.default).toEqual({ $ref: '#/components/responses/Error' });
    }
  });
});

describe('schemas and parameters', () => {
  const pub = build('public');
  const admin = build('admin');

  it('names fields as the transcoder writes them (proto names) and carries the proto comments', () => {
    const token = pub.components.schemas['signet.auth.v1.TokenResponse'];
    expect(Object.keys(token.properties)).toContain('access_token');
    expect(Object.keys(token.properties)).not.toContain('accessToken');
    expect(pub.paths['/auth/v1/signin'].post.summary).toMatch(/^SignIn signs a user in/);
    expect(pub.tags.find((t: any) => t.name === 'AuthService').description).toMatch(/^AuthService signs users in/);
  });

  it('documents the error body: google.rpc.Status plus the CloudBase fields, reasons listed', () => {
    const error = pub.components.schemas.Error;
    expect(error.allOf[0]).toEqual({ $ref: '#/components/schemas/google.rpc.Status' });
    expect(error.allOf[1].properties.error.enum).toEqual(expect.arrayContaining(['invalid_argument', 'invalid_password', 'not_found']));
    expect(pub.components.schemas['google.rpc.Status'].properties.details.items).toEqual({
      $ref: '#/components/schemas/google.protobuf.Any',
    });
  });

  it('gives GET requests their fields as query parameters, and OAuth endpoints a form body', () => {
    const names = admin.paths['/admin/v1/audit-events'].get.parameters.map((p: any) => `${p.in}:${p.name}`);
    expect(names).toEqual(expect.arrayContaining(['query:page_size', 'query:since', 'query:user_id']));
    const since = admin.paths['/admin/v1/audit-events'].get.parameters.find((p: any) => p.name === 'since');
    expect(since.schema).toEqual({ type: 'string', format: 'date-time' });
    expect(Object.keys(pub.paths['/auth/v1/token'].post.requestBody.content)).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
    ]);
    expect(Object.keys(pub.paths['/auth/v1/signin'].post.requestBody.content)).toEqual(['application/json']);
  });

  it('states the security: the admin token everywhere on the admin listener; bearer or client on the public one', () => {
    expect(admin.security).toEqual([{ adminToken: [] }]);
    expect(pub.security).toBeUndefined();
    expect(pub.paths['/auth/v1/user/me'].get.security).toEqual([{ bearerAuth: [] }]);
    expect(pub.paths['/oidc/userinfo'].get.security).toEqual([{ bearerAuth: [] }]);
    expect(pub.paths['/auth/v1/token'].post.security).toEqual([{ clientBasic: [] }, {}]);
    expect(pub.paths['/.well-known/jwks.json'].get.security).toBeUndefined();
  });

  it('maps a body field, nested path variables and the rest of the message to the query', () => {
    const doc = build('public', [
      definition({
        Nested: { post: '/v1/t/{tenant_id}/policy/{policy.hide_unknown_users}', body: 'name' },
        Multi: {
          get: '/v1/{tenant_id=orgs/*/tenants/*}',
          additional_bindings: [HttpRule.fromPartial({ delete: '/v1/b/{tenant_id}:purge' })],
        },
      }),
    ]);
    const nested = doc.paths['/v1/t/{tenant_id}/policy/{policy.hide_unknown_users}'].post;
    expect(nested.requestBody.content['application/json'].schema).toEqual({ type: 'string' });
    expect(nested.parameters.map((p: any) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(['path:tenant_id', 'path:policy.hide_unknown_users', 'query:policy.lockout_enabled']),
    );
    expect(nested.parameters.map((p: any) => p.name)).not.toContain('name');
    expect(doc.paths['/v1/{tenant_id}'].get.operationId).toBe('Test_Multi');
    expect(doc.paths['/v1/b/{tenant_id}:purge'].delete.operationId).toBe('Test_Multi_2');
  });

  it('refuses a template it cannot name or a method OpenAPI does not have', () => {
    expect(() => build('public', [definition({ Wild: { get: '/v1/*/x' } })])).toThrow(/without a name/);
    expect(() => build('public', [definition({ Link: { custom: { kind: 'LINK', path: '/v1/x' } } })])).toThrow(/LINK/);
  });
});
