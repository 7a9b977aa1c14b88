// The hosted login page's branding in the tenant policy, through the admin API: set on create over
// REST, read back over gRPC, changed and cleared by a patch, refused with a field violation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { BadRequest } from '../../src/gen/google/rpc/error_details.js';
import type { Tenant } from '../../src/gen/signet/auth/v1/admin.js';
import { BACKENDS, adminPost, call, dropSchema, grpcFailure, startTestSignet, type TestSignet } from '../helpers/signet.js';

const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };
const LOGO = `data:image/svg+xml;base64,${Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>').toString('base64')}`;

describe.each(BACKENDS)('tenant branding on %s', (backend) => {
  let s: TestSignet;
  const getTenant = (tenant_id: string) => call<object, Tenant>(s.adminGrpc, 'getTenant', { tenant_id }, ADMIN);

  beforeAll(async () => {
    s = await startTestSignet({ backend });
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
  });

  it('takes a realistic data: logo (tens of KiB) over REST and gRPC, and refuses one past 32 KiB', async () => {
    await adminPost(s, '/admin/v1/tenants', { tenant_id: 'big', name: 'Big' });
    const png = (bytes: number) => `data:image/png;base64,${Buffer.alloc(bytes, 7).toString('base64')}`;
    const logo = png(20_000);
    const rest = await adminPost(s, '/admin/v1/tenants/big', { policy: { logo_url: logo } }, 'PATCH');
    expect(rest.status, JSON.stringify(rest.body).slice(0, 300)).toBe(200);
    expect((await getTenant('big')).policy?.logo_url).toBe(logo);
    const over = await grpcFailure(call(s.adminGrpc, 'updateTenant', { tenant_id: 'big', policy: { logo_url: png(30_000) } }, ADMIN));
    expect(over.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('round-trips over REST and gRPC; a patch changes only what it names, "" clears', async () => {
    const created = await adminPost(s, '/admin/v1/tenants', {
      tenant_id: 'acme',
      name: 'Acme',
      policy: {
        display_name: ' Acme Login ',
        logo_url: 'https://cdn.example.com/acme.png',
        primary_color: '#FF8800',
        sign_up_enabled: true,
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.policy).toMatchObject({
      display_name: 'Acme Login',
      logo_url: 'https://cdn.example.com/acme.png',
      primary_color: '#ff8800',
    });

    const updated = await call<object, Tenant>(s.adminGrpc, 'updateTenant', { tenant_id: 'acme', policy: { logo_url: LOGO } }, ADMIN);
    expect(updated.policy).toMatchObject({ display_name: 'Acme Login', logo_url: LOGO, primary_color: '#ff8800', sign_up_enabled: true });
    expect((await getTenant('acme')).policy?.logo_url).toBe(LOGO);

    const cleared = await adminPost(s, '/admin/v1/tenants/acme', { policy: { display_name: '', primary_color: '' } }, 'PATCH');
    expect(cleared.status).toBe(200);
    const p = (await getTenant('acme')).policy;
    expect([p?.display_name, p?.logo_url, p?.primary_color, p?.sign_up_enabled]).toEqual(['', LOGO, '', true]);
  });

  it('refuses bad values with a field violation, on create and on update, over REST and gRPC', async () => {
    const bad = await adminPost(s, '/admin/v1/tenants', { tenant_id: 'evil', policy: { logo_url: 'javascript:alert(1)' } });
    expect(bad.status).toBe(400);
    expect(bad.body.details[1].field_violations[0].field).toBe('policy.logo_url');
    expect((await grpcFailure(getTenant('evil'))).code).toBe(grpc.status.NOT_FOUND);

    const color = await adminPost(s, '/admin/v1/tenants/acme', { policy: { primary_color: 'red;}' } }, 'PATCH');
    expect(color.status).toBe(400);
    expect(color.body.details[1].field_violations[0].field).toBe('policy.primary_color');

    const g = await grpcFailure(call(s.adminGrpc, 'updateTenant', { tenant_id: 'acme', policy: { display_name: 'x'.repeat(65) } }, ADMIN));
    expect(g.code).toBe(grpc.status.INVALID_ARGUMENT);
    const violations = BadRequest.decode(g.status.details.find((d) => d.type_url.endsWith('google.rpc.BadRequest'))!.value);
    expect(violations.field_violations[0].field).toBe('policy.display_name');
    // Nothing of a refused patch is kept.
    expect((await getTenant('acme')).policy?.display_name).toBe('');
  });
});
