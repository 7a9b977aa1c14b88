// Templates the Signet protos do not use yet, on hand-made definitions with real HttpRule bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRule } from '../../src/gen/google/api/http.js';
import type { CallContext } from '../../src/transport/context.js';
import { compileRoutes, RouteTable } from '../../src/transport/http/routes.js';
import { defaultRegistry } from '../../src/transport/registry.js';
import { definition } from '../helpers/http-rules.js';
import { call, startHarness, type Harness } from './http-harness.js';

const compile = (rules: Record<string, Partial<HttpRule>>) => compileRoutes(new RouteTable(), definition(rules), {}, defaultRegistry());

let h: Harness;
const seen: Array<{ rpc: string; req: any }> = [];
beforeAll(async () => {
  const def = definition({
    Multi: { get: '/v1/{tenant_id=orgs/*/tenants/*}' },
    Deep: { get: '/files/{tenant_id=**}' },
    Nested: { post: '/v1/t/{tenant_id}/policy/{policy.hide_unknown_users}', body: 'name' },
    BodyField: { put: '/v1/tenants/{tenant_id}/policy', body: 'policy' },
    Bound: { get: '/v1/a/{tenant_id}', additional_bindings: [HttpRule.fromPartial({ delete: '/v1/b/{tenant_id}:purge' })] },
    Wild: { custom: { kind: 'LINK', path: '/v1/*/x' } },
  });
  const handlers = Object.fromEntries(
    Object.keys(def.methods).map((rpc) => [
      rpc,
      async (req: unknown, _ctx: CallContext) => {
        seen.push({ rpc, req });
        return { tenant_id: 'ok' };
      },
    ]),
  );
  h = await startHarness({}, { services: [{ definition: def, handlers }] });
});
afterAll(() => h.close());
const last = () => seen[seen.length - 1];

describe('path templates', () => {
  it('binds multi-segment variables', async () => {
    const r = await call(h, 'GET', '/v1/orgs/o1/tenants/t1');
    expect(r.json).toMatchObject({ tenant_id: 'ok' });
    expect(last()).toMatchObject({ rpc: 'Multi', req: { tenant_id: 'orgs/o1/tenants/t1' } });
    expect((await call(h, 'GET', '/v1/orgs/o1/teams/t1')).status).toBe(404);
  });

  it('binds ** to the rest of the path', async () => {
    await call(h, 'GET', '/files/a/b/c.txt');
    expect(last()).toMatchObject({ rpc: 'Deep', req: { tenant_id: 'a/b/c.txt' } });
    await call(h, 'GET', '/files/x');
    expect(last().req.tenant_id).toBe('x');
  });

  it('binds nested fields and converts them; body: "field" fills only that field', async () => {
    await call(h, 'POST', '/v1/t/t9/policy/true', { body: '"the name"' });
    expect(last()).toMatchObject({ rpc: 'Nested', req: { tenant_id: 't9', name: 'the name', policy: { hide_unknown_users: true } } });
    const bad = await call(h, 'POST', '/v1/t/t9/policy/maybe', { body: '"n"' });
    expect(bad.status).toBe(400);
    expect(bad.json.details[1].field_violations).toEqual([{ field: 'policy.hide_unknown_users', description: 'expected a boolean' }]);
    expect((await call(h, 'POST', '/v1/t/t9/policy/true', { body: '3' })).status).toBe(400);
  });

  it('reads body: "policy" as the policy message, and keeps the query string off that field', async () => {
    await call(h, 'PUT', '/v1/tenants/t2/policy?name=n&policy.hide_unknown_users=false', { body: '{"hideUnknownUsers":true}' });
    expect(last()).toMatchObject({ rpc: 'BodyField', req: { tenant_id: 't2', name: 'n', policy: { hide_unknown_users: true } } });
    expect((await call(h, 'PUT', '/v1/tenants/t2/policy', { body: '{"tenant_id":"x"}' })).status).toBe(400);
  });

  it('serves additional bindings, custom methods and * segments', async () => {
    await call(h, 'GET', '/v1/a/t3');
    expect(last()).toMatchObject({ rpc: 'Bound', req: { tenant_id: 't3' } });
    await call(h, 'DELETE', '/v1/b/t4:purge');
    expect(last()).toMatchObject({ rpc: 'Bound', req: { tenant_id: 't4' } });
    expect((await call(h, 'DELETE', '/v1/b/t4')).status).toBe(404);
    expect((await call(h, 'LINK', '/v1/anything/x')).status).toBe(200);
    expect(last().rpc).toBe('Wild');
  });
});

describe('compile-time checks', () => {
  it('refuses templates that name missing fields or cannot be matched', () => {
    expect(() => compile({ A: { get: '/v1/{nope}' } })).toThrow(/no field nope/);
    expect(() => compile({ A: { get: '/v1/{tenantId}' } })).toThrow(/no field tenantId/);
    expect(() => compile({ A: { get: '/v1/{policy}' } })).toThrow(/cannot be bound/);
    expect(() => compile({ A: { get: '/v1/**/x' } })).toThrow(/\*\* must be last/);
    expect(() => compile({ A: { get: '/v1/{tenant_id' } })).toThrow(/unclosed/);
    expect(() => compile({ A: { get: 'v1/x' } })).toThrow(/no usable pattern/);
    expect(() => compile({ A: { post: '/v1/x', body: 'nope' } })).toThrow(/is not a field/);
    expect(() => compile({ A: { get: '/v1/x' }, B: { get: '/v1/x' } })).toThrow(/annotated twice/);
    expect(() => compile({ A: { get: '/v1/x', response_body: 'name' } })).toThrow(/response_body/);
  });

  it('skips methods without an annotation, and needs the messages in the registry', () => {
    const table = new RouteTable();
    const def = definition({ A: { get: '/v1/x' } });
    def.methods.B = { ...def.methods.A, name: 'B', options: {} };
    compileRoutes(table, def, {}, defaultRegistry());
    expect(table.routes.map((r) => r.rpc)).toEqual(['test.Test/A']);
    def.methods.A.requestType = {};
    expect(() => compileRoutes(new RouteTable(), def, {}, defaultRegistry())).toThrow(/registry lacks/);
  });
});
