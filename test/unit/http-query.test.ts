// The REST query string as grpc-gateway reads it: dotted paths into sub-messages, repeated
// parameters into lists, and `name[key]=value` into map fields.
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../src/transport/http/request.js';
import { readMessage } from '../../src/transport/protojson.js';
import { defaultRegistry } from '../../src/transport/registry.js';
import { isSignetError } from '../../src/domain/errors.js';

const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

function refusal(f: () => unknown): { field: string; description: string } {
  try {
    f();
  } catch (err) {
    if (isSignetError(err)) {
      const v = err.details.fieldViolations?.[0];
      return { field: v?.field ?? '', description: v?.description ?? err.detail };
    }
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('parseQuery', () => {
  it('reads scalars, dotted paths and repeated parameters', () => {
    expect(plain(parseQuery('a=1&b.c=2&r=x&r=y&e'))).toEqual({ a: '1', b: { c: '2' }, r: ['x', 'y'], e: '' });
  });

  it('reads name[key]=value as one entry of a map, as grpc-gateway does', () => {
    expect(plain(parseQuery('query[action]=USER_LOGIN&limit=10'))).toEqual({ query: { action: 'USER_LOGIN' }, limit: '10' });
    expect(plain(parseQuery('ne_query[action]=USER_LOGIN&ne_query[ip]=1.2.3.4'))).toEqual({
      ne_query: { action: 'USER_LOGIN', ip: '1.2.3.4' },
    });
    // Percent-encoded brackets (what URLSearchParams writes) mean the same.
    expect(plain(parseQuery('query%5Baction%5D=USER_LOGIN'))).toEqual({ query: { action: 'USER_LOGIN' } });
    // A map in a sub-message; the key is taken as is, dots and all.
    expect(plain(parseQuery('a.labels[x.y]=1'))).toEqual({ a: { labels: { 'x.y': '1' } } });
    // An empty key or value is still an entry.
    expect(plain(parseQuery('m[]=v&n[k]='))).toEqual({ m: { '': 'v' }, n: { k: '' } });
  });

  it('refuses a map key given twice, and a map entry on a field given as a value', () => {
    expect(refusal(() => parseQuery('query[action]=A&query[action]=B')).field).toBe('query[action]');
    expect(refusal(() => parseQuery('query=x&query[action]=B')).description).toMatch(/conflicting/);
  });

  it('keeps __proto__ a plain key (null-prototype objects)', () => {
    const q = parseQuery('__proto__[polluted]=1&m[__proto__]=2');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(q)).toBeNull();
  });

  it('fills the map fields of a request message through readMessage, and refuses a bad one', () => {
    const reg = defaultRegistry();
    const info = reg.message('signet.auth.v1.GetSecurityHistoryRequest');
    const read = (qs: string) => readMessage(info, parseQuery(qs), '', 'query', reg);
    expect(read('query[action]=USER_LOGIN&limit=10&page_token=abc&unknown[x]=1')).toEqual({
      query: { action: 'USER_LOGIN' },
      limit: 10,
      page_token: 'abc',
    });
    expect(read('ne_query[action]=USER_LOGIN')).toEqual({ ne_query: { action: 'USER_LOGIN' } });
    // `page_token[k]=v` on a string field is not a map: refused, not ignored.
    expect(refusal(() => read('page_token[k]=v')).field).toBe('page_token');
    expect(refusal(() => read('query[__proto__]=x')).description).toMatch(/invalid map key/);
  });
});
