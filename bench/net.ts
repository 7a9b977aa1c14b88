// Single requests outside the measured windows (seeding, pre-flight checks) and the gRPC clients.
import * as grpc from '@grpc/grpc-js';
import { AuthServiceClient } from '../src/gen/signet/auth/v1/auth_service.js';
import type { TokenResponse } from '../src/gen/signet/auth/v1/token.js';

export async function httpJson(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }) {
  const res = await fetch(url, { method: init.method ?? 'GET', headers: init.headers, body: init.body });
  const text = await res.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, body, text };
}

function jwtHeader(token: unknown): Record<string, unknown> | null {
  if (typeof token !== 'string') return null;
  try {
    return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

export function describeToken(status: number, body: any) {
  const at = body?.access_token;
  return {
    status,
    ok: status === 200 && typeof at === 'string' && at.length > 0,
    access_token_alg: jwtHeader(at)?.alg ?? null,
    access_token_bytes: typeof at === 'string' ? at.length : null,
    has_refresh_token: typeof body?.refresh_token === 'string' && body.refresh_token.length > 0,
    ...(status !== 200 ? { body: JSON.stringify(body).slice(0, 400) } : {}),
  };
}

/** A pre-flight answer that is an error: its status and reason. */
export function describeError(status: number, body: any) {
  return { status, error: body?.error ?? null, ...(body?.details?.[0] ? { details0: body.details[0] } : {}) };
}

export async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// gRPC

export function grpcUnary<Req>(
  client: AuthServiceClient,
  method: 'signIn' | 'token' | 'signUp',
  req: Req,
  md?: grpc.Metadata,
): Promise<{ err: grpc.ServiceError | null; res?: TokenResponse }> {
  return new Promise((resolve) => {
    (client as any)[method](
      req,
      md ?? new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
      (err: grpc.ServiceError | null, res: TokenResponse) => resolve({ err, res }),
    );
  });
}

export const grpcCode = (err: grpc.ServiceError) => grpc.status[err.code] ?? String(err.code);

export async function grpcClients(port: number, n: number): Promise<AuthServiceClient[]> {
  const clients = Array.from(
    { length: n },
    (_, i) =>
      new AuthServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
        // A private subchannel pool per client: n separate HTTP/2 connections, not one shared.
        'grpc.use_local_subchannel_pool': 1,
        'grpc.primary_user_agent': `signet-bench/${i}`,
      }),
  );
  await Promise.all(clients.map((c) => new Promise<void>((res, rej) => c.waitForReady(Date.now() + 10_000, (e) => (e ? rej(e) : res())))));
  return clients;
}
