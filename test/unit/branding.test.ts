import { describe, expect, it } from 'vitest';
import { brandingOf, checkBranding, LOGO_DATA_URI_MAX } from '../../src/domain/accounts/branding.js';
import { checkPolicy } from '../../src/domain/defence/policy.js';
import type { SignetError } from '../../src/domain/errors.js';
import type { Tenant, TenantPolicy } from '../../src/domain/model.js';

const refusal = (p: TenantPolicy) => {
  try {
    checkPolicy(p);
    return null;
  } catch (err) {
    const e = err as SignetError;
    expect(e.reason).toBe('invalid_argument');
    return e.details.fieldViolations?.[0];
  }
};
const refused = (p: TenantPolicy) => refusal(p)?.field ?? null;
const logo = (logoUrl: string) => refused({ logoUrl });
const png = (base64: string) => `data:image/png;base64,${base64}`;

describe('tenant branding validation', () => {
  it('display name: trimmed, at most 64 characters (not bytes), no control characters', () => {
    expect(checkPolicy({ displayName: '  Acme 登录  ' }).displayName).toBe('Acme 登录');
    expect(refused({ displayName: '登'.repeat(64) })).toBeNull();
    expect(refused({ displayName: 'a'.repeat(65) })).toBe('policy.display_name');
    expect(refused({ displayName: 'Acme\nInc' })).toBe('policy.display_name');
  });

  it('logo URL: absolute https; http only on localhost and 127.0.0.1', () => {
    expect(logo('https://cdn.example.com/acme/logo.svg?v=2')).toBeNull();
    expect(logo('http://localhost:3000/logo.png')).toBeNull();
    expect(logo('http://127.0.0.1/logo.png')).toBeNull();
    for (const bad of [
      'http://cdn.example.com/logo.png',
      'http://localhost.example.com/logo.png',
      'javascript:alert(1)',
      'ftp://example.com/logo.png',
      '/static/logo.png',
      'logo.png',
      'https://',
      'https://user:pw@example.com/logo.png',
      'https://user@example.com/logo.png',
      'https://example.com/a logo.png',
      ' https://example.com/logo.png',
      'https://example.com/\tlogo.png',
      `https://example.com/${'a'.repeat(2048)}`,
    ]) {
      expect(logo(bad), bad).toBe('policy.logo_url');
    }
    expect(refusal({ logoUrl: 'https://u:p@example.com/' })?.description).toMatch(/user name or password/);
  });

  it('logo URL: stored as the URL parser writes it', () => {
    expect(checkPolicy({ logoUrl: 'HTTPS://CDN.Example.com' }).logoUrl).toBe('https://cdn.example.com/');
  });

  it('logo data URI: png, jpeg, svg+xml or webp, base64, at most 32 KiB', () => {
    for (const type of ['png', 'jpeg', 'svg+xml', 'webp']) expect(logo(`data:image/${type};base64,iVBORw0KGgo=`), type).toBeNull();
    // The longest whole base64 under the limit, then one quantum more.
    const largest = png('A'.repeat(Math.floor((LOGO_DATA_URI_MAX - png('').length) / 4) * 4));
    expect(largest.length).toBeGreaterThan(LOGO_DATA_URI_MAX - 4);
    expect(logo(largest)).toBeNull();
    expect(refusal({ logoUrl: `${largest}AAAA` })?.description).toMatch(/at most 32768/);
    for (const bad of [
      'data:image/gif;base64,R0lGODlhAQABAAAAACw=',
      'data:text/html;base64,PHNjcmlwdD4=',
      'data:image/svg+xml,<svg onload="alert(1)"/>',
      'data:image/png;charset=utf-8;base64,iVBO',
      png('not base64!'),
      png('abc'),
      png(''),
    ]) {
      expect(logo(bad), bad).toBe('policy.logo_url');
    }
  });

  it('primary colour: #rrggbb only, stored lowercase', () => {
    expect(checkPolicy({ primaryColor: '#1F6FEB' }).primaryColor).toBe('#1f6feb');
    for (const bad of ['1f6feb', '#1f6', '#1f6feb80', 'red', 'rgb(0,0,0)', '#1f6feb;}body{', '#gggggg']) {
      expect(refused({ primaryColor: bad }), bad).toBe('policy.primary_color');
    }
  });

  it('"" is kept so that a patch can clear a field', () => {
    expect(checkBranding({ displayName: '', logoUrl: '', primaryColor: '' })).toEqual({ displayName: '', logoUrl: '', primaryColor: '' });
    expect(checkBranding({ hideUnknownUsers: true })).toEqual({ hideUnknownUsers: true });
  });
});

describe('brandingOf', () => {
  const tenant = (policy: TenantPolicy): Tenant => ({
    id: 'acme',
    name: 'Acme',
    status: 'enabled',
    policy,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  });

  it('the defaults: the tenant name, no logo, #1f6feb (also for cleared fields)', () => {
    const defaults = { name: 'Acme', logoUrl: null, primaryColor: '#1f6feb' };
    expect(brandingOf(tenant({}))).toEqual(defaults);
    expect(brandingOf(tenant({ displayName: '', logoUrl: '', primaryColor: '' }))).toEqual(defaults);
  });

  it('the set fields', () => {
    const p = { displayName: 'Acme Login', logoUrl: 'https://cdn.example.com/l.png', primaryColor: '#ff0000' };
    expect(brandingOf(tenant(p))).toEqual({ name: 'Acme Login', logoUrl: p.logoUrl, primaryColor: '#ff0000' });
  });
});
