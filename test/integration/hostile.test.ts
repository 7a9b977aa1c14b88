// Hostile but well-formed requests to every RPC of both services, over gRPC and REST: no INTERNAL
// or UNKNOWN answer, every call answered promptly, the connection still serving the calls that
// follow, the server alive. Undecodable bytes may keep grpc-js's own INTERNAL answer.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthServiceDefinition } from '../../src/gen/signet/auth/v1/auth_service.js';
import { AdminServiceDefinition } from '../../src/gen/signet/auth/v1/admin_service.js';
import { AccountServiceDefinition } from '../../src/gen/signet/auth/v1/account_service.js';
import { defaultRegistry, T, type MessageInfo } from '../../src/transport/registry.js';
import { compileRoutes, RouteTable } from '../../src/transport/http/routes.js';
import { dropSchema, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';

const ADMIN_TOKEN = 'Bearer test-admin-token-0123456789';
/** Longest a hostile call may take to be answered (generous: the machine may be busy). */
const PROMPT_MS = 4000;

type Fill = { text: (field: string) => string; int: number; long: number; uint: number };

const VARIANTS: Record<string, Fill> = {
  nul: { text: () => 'a\u0000b', int: 1, long: 1, uint: 1 },
  controls: { text: () => '\u0007\u001b[31m\u0085x\r\n', int: 0, long: 0, uint: 0 },
  'lone surrogates': { text: () => '\ud800x\udfff', int: -1, long: -1, uint: 0 },
  '100 KB strings': { text: () => 'x'.repeat(100_000), int: 2147483647, long: Number.MAX_SAFE_INTEGER, uint: 4294967295 },
  '30 KB in one field': { text: (f) => (f === 'first' ? 'y'.repeat(30_000) : 'a'), int: 1, long: 1, uint: 1 },
  'numbers at their edges': { text: () => 'a', int: -2147483648, long: -Number.MAX_SAFE_INTEGER, uint: 4294967295 },
  'unicode and empty': { text: (f) => (f === 'first' ? '' : '名字🙂\u202e'), int: 2147483647, long: Number.MAX_SAFE_INTEGER, uint: 0 },
};

/** A message of the type with every field set from the variant (two levels of nesting). */
function hostile(info: MessageInfo, v: Fill, depth = 0, seen = { first: true }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of info.fields) {
    let value: unknown;
    if (f.type === T.STRING) {
      value = v.text(seen.first ? 'first' : f.name);
      seen.first = false;
    } else if (f.type === T.BOOL) value = true;
    else if (f.type === T.INT32 || f.type === T.SINT32 || f.type === T.SFIXED32) value = v.int;
    else if (f.type === T.UINT32 || f.type === T.FIXED32) value = v.uint;
    else if ([T.INT64, T.SINT64, T.SFIXED64].includes(f.type as 3)) value = v.long;
    else if (f.type === T.UINT64 || f.type === T.FIXED64) value = Math.abs(v.long);
    else if (f.type === T.DOUBLE || f.type === T.FLOAT) value = v.long;
    else if (f.type === T.ENUM) value = v.int;
    else if (f.type === T.MESSAGE && f.wellKnown === 'timestamp') value = new Date(v.long < 0 ? -8.64e15 : 8.64e15);
    else if (f.type === T.MESSAGE && f.message && !f.wellKnown && !f.map && depth < 2) value = hostile(f.message, v, depth + 1, seen);
    else continue;
    out[f.name] = f.repeated ? [value, value, value] : value;
  }
  return out;
}

/** Percent-encodes every UTF-8 byte (a lone surrogate becomes U+FFFD, as any client's encoder makes it). */
const pct = (text: string) => [...Buffer.from(text)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

interface Answer {
  code: number;
  ms: number;
}

function rawCall(client: grpc.Client, path: string, bytes: Buffer, metadata: grpc.Metadata): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      metadata,
      { deadline: Date.now() + PROMPT_MS + 2000 },
      (err) => resolve({ code: err ? err.code : 0, ms: Date.now() - started }),
    );
  });
}

const SERVICES = [
  { name: 'AuthService', definition: AuthServiceDefinition, port: (s: TestSignet) => s.running.ports.grpc },
  { name: 'AccountService', definition: AccountServiceDefinition, port: (s: TestSignet) => s.running.ports.grpc },
  { name: 'AdminService', definition: AdminServiceDefinition, port: (s: TestSignet) => s.running.ports.admin },
] as const;

describe('hostile requests (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  const clients: grpc.Client[] = [];
  const reg = defaultRegistry();

  beforeAll(async () => {
    s = await startTestSignet({ backend: 'postgres' });
    await seed(s);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await s?.stop();
    await dropSchema(s?.schema);
  });

  for (const svc of SERVICES) {
    it(`${svc.name}: every method, every hostile variant, over one gRPC connection`, async () => {
      const client = new grpc.Client(`127.0.0.1:${svc.port(s)}`, grpc.credentials.createInsecure());
      clients.push(client);
      const md = new grpc.Metadata();
      md.set('authorization', ADMIN_TOKEN);
      const health = () =>
        svc.name !== 'AdminService'
          ? rawCall(client, '/signet.auth.v1.AuthService/GetJwks', Buffer.alloc(0), md)
          : rawCall(client, '/signet.auth.v1.AdminService/ListTenants', Buffer.alloc(0), md);
      const bad: string[] = [];
      for (const m of Object.values(svc.definition.methods)) {
        const info = reg.message(reg.typeNameOf(m.requestType)!);
        const path = `/signet.auth.v1.${svc.name}/${m.name}`;
        for (const [variant, fill] of Object.entries(VARIANTS)) {
          const bytes = Buffer.from((m.requestType as any).encode((m.requestType as any).fromPartial(hostile(info, fill))).finish());
          const a = await rawCall(client, path, bytes, md);
          if (a.code === grpc.status.INTERNAL || a.code === grpc.status.UNKNOWN || a.ms > PROMPT_MS) {
            bad.push(`${m.name} (${variant}): code ${a.code} after ${a.ms} ms`);
          }
        }
        // Undecodable bytes: grpc-js may answer INTERNAL itself, but promptly and harmlessly.
        const garbage = await rawCall(client, path, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), md);
        if (garbage.ms > PROMPT_MS) bad.push(`${m.name} (undecodable): ${garbage.ms} ms`);
        const after = await health();
        if (after.code !== 0) bad.push(`${m.name}: the connection failed the next call (code ${after.code})`);
      }
      expect(bad).toEqual([]);
    });
  }

  it('answers an oversize gRPC message with RESOURCE_EXHAUSTED, promptly, and keeps serving', async () => {
    const client = new grpc.Client(`127.0.0.1:${s.running.ports.grpc}`, grpc.credentials.createInsecure());
    clients.push(client);
    const md = new grpc.Metadata();
    const a = await rawCall(client, '/signet.auth.v1.AuthService/Token', Buffer.alloc(s.config.bodyLimitBytes + 1024, 0x20), md);
    expect(a.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(a.ms).toBeLessThan(PROMPT_MS);
    expect((await rawCall(client, '/signet.auth.v1.AuthService/GetJwks', Buffer.alloc(0), md)).code).toBe(0);
  });

  it('names the field and its limit, and never echoes the long value back', async () => {
    const long = 'g'.repeat(60_000);
    const r = await post(s.http, '/auth/v1/token', { client_id: 'web', grant_type: long });
    expect(r.status).toBe(400);
    const bad = r.body.details.find((d: { '@type': string }) => d['@type'].endsWith('BadRequest'));
    expect(bad.field_violations[0]).toEqual({ field: 'grant_type', description: 'at most 64 characters' });
    expect(JSON.stringify(r.body).length).toBeLessThan(2000);
    const unknownField = await post(s.http, '/auth/v1/token', { [long]: 'x' });
    expect(unknownField.status).toBe(400);
    expect(JSON.stringify(unknownField.body).length).toBeLessThan(2000);
  });

  it('REST: the same variants on every route of both services answer without 5xx and keep the server up', async () => {
    const table = new RouteTable();
    compileRoutes(table, AuthServiceDefinition as never, {}, reg);
    compileRoutes(table, AccountServiceDefinition as never, {}, reg);
    compileRoutes(table, AdminServiceDefinition as never, {}, reg);
    const bad: string[] = [];
    for (const route of table.routes) {
      const admin = route.rpc.includes('AdminService');
      const base = admin ? s.admin : s.http;
      for (const [variant, fill] of Object.entries(VARIANTS)) {
        const msg = hostile(route.request, fill);
        // Path variables get the variant's text too (percent-encoded); the rest goes in the body.
        const path = route.template.replace(/\{([^}=]+)(=[^}]*)?\}/g, () => pct(fill.text('path').slice(0, 2000)));
        const query = route.body === '' ? `?client_id=${pct(fill.text('q').slice(0, 2000))}` : '?client_id=web';
        const started = Date.now();
        const r = await fetch(base + path + query, {
          method: route.httpMethod,
          headers: admin ? { authorization: ADMIN_TOKEN } : {},
          body: route.body === '' ? undefined : JSON.stringify(msg),
        });
        const ms = Date.now() - started;
        await r.arrayBuffer();
        if (r.status >= 500 || ms > PROMPT_MS) bad.push(`${route.httpMethod} ${route.template} (${variant}): ${r.status} after ${ms} ms`);
      }
    }
    expect(table.routes.length).toBeGreaterThan(30);
    expect(bad).toEqual([]);
    expect((await fetch(`${s.http}/.well-known/jwks.json`)).status).toBe(200);
  });
});
