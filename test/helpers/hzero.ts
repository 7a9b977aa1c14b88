// Requests as HZERO's front ends and apps send them: form-encoded bodies or query strings.
import type { TestSignet } from './signet.js';

export interface HzeroAnswer {
  status: number;
  headers: Headers;
  body: any;
}

async function answer(res: Response): Promise<HzeroAnswer> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** POST with an application/x-www-form-urlencoded body. */
export async function postForm(
  s: TestSignet,
  path: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<HzeroAnswer> {
  return answer(
    await fetch(s.http + path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(params).toString(),
    }),
  );
}

/** POST (or GET) with the parameters in the query string only. */
export async function withQuery(
  s: TestSignet,
  method: 'GET' | 'POST',
  path: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<HzeroAnswer> {
  return answer(await fetch(`${s.http}${path}?${new URLSearchParams(params)}`, { method, headers }));
}
