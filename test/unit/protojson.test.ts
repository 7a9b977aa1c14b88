import { describe, expect, it } from 'vitest';
import { SignetError } from '../../src/domain/errors.js';
import { Timestamp } from '../../src/gen/google/protobuf/timestamp.js';
import { Duration } from '../../src/gen/google/protobuf/duration.js';
import { ErrorInfo, RetryInfo } from '../../src/gen/google/rpc/error_details.js';
import type { UpdateClientRequest } from '../../src/gen/signet/auth/v1/admin.js';
import { SignInRequest } from '../../src/gen/signet/auth/v1/token.js';
import { decodeJson, durationOf, encodeJson, formatDuration, formatTimestamp } from '../../src/transport/protojson.js';
import { createRegistry, defaultRegistry } from '../../src/transport/registry.js';

/** The BadRequest field violations of what fn throws. */
function violation(fn: () => unknown): { field: string; description: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SignetError);
    const err = e as SignetError;
    expect(err.reason).toBe('invalid_argument');
    expect(err.details.fieldViolations).toHaveLength(1);
    return err.details.fieldViolations![0];
  }
  throw new Error('did not throw');
}

describe('registry', () => {
  it('indexes the services and everything they import', () => {
    const reg = defaultRegistry();
    for (const t of [
      'signet.auth.v1.SignInRequest',
      'signet.auth.v1.Tenant',
      'google.rpc.Status',
      'google.rpc.ErrorInfo',
      'google.protobuf.Timestamp',
      'google.protobuf.Any',
      'google.api.HttpRule',
      'google.protobuf.FieldDescriptorProto',
    ]) {
      expect(reg.messages.has(t), t).toBe(true);
    }
    expect(reg.message('.signet.auth.v1.SignInRequest').codec).toBe(SignInRequest);
    expect(reg.typeNameOf(SignInRequest)).toBe('signet.auth.v1.SignInRequest');
    expect(reg.enums.get('google.protobuf.FieldDescriptorProto.Type')!.byName.get('TYPE_STRING')).toBe(9);
    expect(() => reg.message('nope.Nope')).toThrow(/unknown message type/);
  });

  it('knows presence: messages and proto3 optional; not plain scalars, lists or maps', () => {
    const reg = createRegistry();
    const u = reg.message('signet.auth.v1.UpdateClientRequest').byName;
    expect(u.get('client_id')!.presence).toBe(false);
    expect(u.get('name')!.presence).toBe(true);
    expect(u.get('max_sessions')!.presence).toBe(true);
    expect(u.get('grant_types')!.presence).toBe(true);
    expect(reg.message('signet.auth.v1.Client').byName.get('scopes')!.presence).toBe(false);
    const md = reg.message('google.rpc.ErrorInfo').byName.get('metadata')!;
    expect(md.map?.value.type).toBe(9);
    expect(md.presence).toBe(false);
    expect(md.repeated).toBe(false);
  });
});

describe('decodeJson', () => {
  it('accepts both the proto name and the JSON name, and fills defaults', () => {
    const a = decodeJson('signet.auth.v1.SignInRequest', { username: 'u', client_id: 'c', phoneNumber: '+86 1' });
    expect(a).toEqual(SignInRequest.fromPartial({ username: 'u', client_id: 'c', phone_number: '+86 1' }));
    expect(a.password).toBe('');
  });

  it('rejects unknown fields with the full path', () => {
    expect(violation(() => decodeJson('signet.auth.v1.SignInRequest', { usernme: 'u' }))).toEqual({
      field: 'usernme',
      description: 'unknown field',
    });
    expect(violation(() => decodeJson('signet.auth.v1.CreateTenantRequest', { policy: { hide: true } }))).toEqual({
      field: 'policy.hide',
      description: 'unknown field',
    });
    expect(violation(() => decodeJson('signet.auth.v1.SignInRequest', { x: 1 }, 'body'))).toEqual({
      field: 'body.x',
      description: 'unknown field',
    });
  });

  it('rejects wrong types', () => {
    const v = (json: unknown, type = 'signet.auth.v1.CreateClientRequest') => violation(() => decodeJson(type, json));
    expect(v({ name: 3 })).toEqual({ field: 'name', description: 'expected a string' });
    expect(v({ public: 'true' })).toEqual({ field: 'public', description: 'expected a boolean' });
    expect(v({ max_sessions: 1.5 })).toEqual({ field: 'max_sessions', description: 'expected an integer' });
    expect(v({ max_sessions: 2 ** 31 })).toEqual({ field: 'max_sessions', description: 'integer out of range' });
    expect(v({ max_sessions: 'ten' })).toEqual({ field: 'max_sessions', description: 'expected an integer' });
    expect(v({ grant_types: 'password' })).toEqual({ field: 'grant_types', description: 'expected a JSON array' });
    expect(v({ grant_types: ['a', 2] })).toEqual({ field: 'grant_types[1]', description: 'expected a string' });
    expect(v({ grant_types: [null] })).toEqual({ field: 'grant_types[0]', description: 'null is not allowed in a list' });
    expect(v([])).toEqual({ field: '', description: 'expected a JSON object' });
    expect(v('x')).toEqual({ field: '', description: 'expected a JSON object' });
    expect(v({ client_id: 'a', clientId: 'b' })).toEqual({ field: 'client_id', description: 'duplicate field' });
    expect(v({ policy: 'x' }, 'signet.auth.v1.CreateTenantRequest')).toEqual({ field: 'policy', description: 'expected a JSON object' });
  });

  it('reads integers given as strings (and exponent forms), as protojson does', () => {
    const r = decodeJson('signet.auth.v1.CreateClientRequest', {
      max_sessions: '7',
      access_token_ttl_seconds: 3.6e3,
      refresh_token_ttl_seconds: '1e2',
    });
    expect([r.max_sessions, r.access_token_ttl_seconds, r.refresh_token_ttl_seconds]).toEqual([7, 3600, 100]);
  });

  it('treats null as the default, and keeps proto3 optional presence', () => {
    const r = decodeJson<UpdateClientRequest>('signet.auth.v1.UpdateClientRequest', { client_id: null, name: null, status: '' });
    expect(r.client_id).toBe('');
    expect(r.name).toBeUndefined();
    expect(r.status).toBe('');
    expect('max_sessions' in r && r.max_sessions !== undefined).toBe(false);
    const s = decodeJson<UpdateClientRequest>('signet.auth.v1.UpdateClientRequest', { maxSessions: 0, scopes: { values: [] } });
    expect(s.max_sessions).toBe(0);
    expect(s.scopes).toEqual({ values: [] });
    expect(s.grant_types).toBeUndefined();
  });

  it('reads nested messages and repeated fields', () => {
    const r = decodeJson('signet.auth.v1.CreateTenantRequest', { tenantId: 't', policy: { hideUnknownUsers: false } });
    expect(r).toEqual({ tenant_id: 't', name: '', policy: { hide_unknown_users: false } });
    const c = decodeJson('signet.auth.v1.CreateClientRequest', { grantTypes: ['password', 'refresh_token'] });
    expect(c.grant_types).toEqual(['password', 'refresh_token']);
  });

  it('reads RFC 3339 timestamps into Dates', () => {
    const d = (s: unknown) => decodeJson('signet.auth.v1.CreateUserRequest', { expires_at: s }).expires_at;
    expect(d('2024-02-29T12:34:56Z')).toEqual(new Date('2024-02-29T12:34:56Z'));
    expect(d('2024-02-29T12:34:56.789Z')).toEqual(new Date('2024-02-29T12:34:56.789Z'));
    expect(d('2024-02-29T12:34:56.7891234Z')).toEqual(new Date('2024-02-29T12:34:56.789Z'));
    expect(d('2024-03-01T08:00:00+08:00')).toEqual(new Date('2024-03-01T00:00:00Z'));
    expect(d('0001-01-01T00:00:00Z')).toEqual(new Date(-62135596800000));
    expect(d(null)).toBeUndefined();
    for (const bad of [
      '2023-02-29T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-01-01 00:00:00Z',
      '2024-01-01T00:00:00',
      '2024-01-01T24:00:00Z',
      1700000000,
      '',
    ]) {
      expect(violation(() => d(bad)).field).toBe('expires_at');
    }
  });

  it('reads durations, Any, maps, enums, int64, bytes and doubles', () => {
    const ri = decodeJson('google.rpc.RetryInfo', { retryDelay: '1.5s' });
    expect(ri).toEqual(RetryInfo.fromPartial({ retry_delay: { seconds: 1, nanos: 500_000_000 } }));
    expect(decodeJson('google.rpc.RetryInfo', { retry_delay: '-0.000000001s' }).retry_delay).toEqual({ seconds: 0, nanos: -1 });
    expect(violation(() => decodeJson('google.rpc.RetryInfo', { retry_delay: '5m' })).field).toBe('retry_delay');

    expect(decodeJson('google.rpc.ErrorInfo', { metadata: { a: '1' } }).metadata).toEqual({ a: '1' });
    expect(violation(() => decodeJson('google.rpc.ErrorInfo', { metadata: { a: 1 } }))).toEqual({
      field: 'metadata["a"]',
      description: 'expected a string',
    });
    expect(violation(() => decodeJson('google.rpc.ErrorInfo', { metadata: [] })).description).toBe('expected a JSON object');

    const st = decodeJson('google.rpc.Status', {
      code: 5,
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'not_found', domain: 'd' }],
    });
    expect(st.details[0].type_url).toBe('type.googleapis.com/google.rpc.ErrorInfo');
    expect(ErrorInfo.decode(st.details[0].value)).toEqual({ reason: 'not_found', domain: 'd', metadata: {} });
    const anyTs = decodeJson('google.rpc.Status', {
      details: [{ '@type': 'type.googleapis.com/google.protobuf.Timestamp', value: '1970-01-01T00:00:01.5Z' }],
    });
    expect(Timestamp.decode(anyTs.details[0].value)).toEqual({ seconds: 1, nanos: 500_000_000 });
    expect(violation(() => decodeJson('google.rpc.Status', { details: [{ '@type': 'x/no.Such' }] })).field).toBe('details[0].@type');
    expect(violation(() => decodeJson('google.rpc.Status', { details: [{ reason: 'x' }] })).field).toBe('details[0].@type');

    const fd = decodeJson('google.protobuf.FieldDescriptorProto', { name: 'f', type: 'TYPE_STRING', label: 3, json_name: 'f' });
    expect([fd.type, fd.label, fd.jsonName ?? fd.json_name]).toEqual([9, 3, 'f']);
    expect(violation(() => decodeJson('google.protobuf.FieldDescriptorProto', { type: 'TYPE_NOPE' })).field).toBe('type');
    expect(violation(() => decodeJson('google.protobuf.FieldDescriptorProto', { type: '9' })).field).toBe('type');

    const uo = decodeJson('google.protobuf.UninterpretedOption', {
      positiveIntValue: '9007199254740991',
      negative_int_value: -5,
      double_value: 'NaN',
      string_value: 'aGk_',
      name: [{ namePart: 'x' }],
    });
    expect(uo.positive_int_value).toBe(9007199254740991);
    expect(uo.negative_int_value).toBe(-5);
    expect(uo.double_value).toBeNaN();
    expect(uo.string_value).toEqual(Buffer.from('hi?'));
    expect(uo.name).toEqual([{ name_part: 'x', is_extension: false }]);
    // forceLong=number: refuse what a double would round rather than change it.
    expect(violation(() => decodeJson('google.protobuf.UninterpretedOption', { positive_int_value: '9007199254740993' }))).toEqual({
      field: 'positive_int_value',
      description: 'integer out of range',
    });
    expect(violation(() => decodeJson('google.protobuf.UninterpretedOption', { positive_int_value: -1 })).description).toBe(
      'integer out of range',
    );
    expect(violation(() => decodeJson('google.protobuf.UninterpretedOption', { string_value: 'a*b' })).field).toBe('string_value');
  });
});

describe('encodeJson', () => {
  it('emits unpopulated scalars and lists, omits unset messages and optionals', () => {
    expect(encodeJson('signet.auth.v1.Client', { client_id: 'c', scopes: ['openid'] })).toEqual({
      client_id: 'c',
      tenant_id: '',
      name: '',
      client_type: '',
      grant_types: [],
      scopes: ['openid'],
      access_token_ttl_seconds: 0,
      refresh_token_ttl_seconds: 0,
      max_sessions: 0,
      status: '',
      password_encryption: '',
      reject_replayed_passwords: false,
      sign_up_enabled: false,
      redirect_uris: [],
      first_party: false,
      custom_ticket_sign_up: false,
    });
    expect(encodeJson('signet.auth.v1.UpdateClientRequest', { client_id: 'c', name: '', max_sessions: 0 })).toEqual({
      client_id: 'c',
      name: '',
      max_sessions: 0,
    });
    expect(encodeJson('signet.auth.v1.TenantPolicy', {})).toEqual({});
  });

  it('writes Timestamps as RFC 3339 UTC, nested messages, maps and empty messages', () => {
    expect(
      encodeJson('signet.auth.v1.Tenant', {
        tenant_id: 't',
        policy: { hide_unknown_users: true },
        created_at: new Date('2024-05-06T07:08:09Z'),
        updated_at: new Date('2024-05-06T07:08:09.120Z'),
      }),
    ).toEqual({
      tenant_id: 't',
      name: '',
      status: '',
      policy: { hide_unknown_users: true },
      created_at: '2024-05-06T07:08:09Z',
      updated_at: '2024-05-06T07:08:09.120Z',
    });
    expect(encodeJson('google.rpc.ErrorInfo', ErrorInfo.fromPartial({ reason: 'r', metadata: { k: 'v' } }))).toEqual({
      reason: 'r',
      domain: '',
      metadata: { k: 'v' },
    });
    expect(encodeJson('signet.auth.v1.RevokeResponse', {})).toEqual({});
  });

  it('writes int64 as strings, enums by name, bytes as base64, special doubles as strings', () => {
    expect(
      encodeJson('google.protobuf.UninterpretedOption', {
        name: [],
        positive_int_value: 12,
        negative_int_value: -3,
        double_value: Infinity,
        string_value: Buffer.from('hi?'),
      }),
    ).toEqual({
      name: [],
      identifier_value: '',
      positive_int_value: '12',
      negative_int_value: '-3',
      double_value: 'Infinity',
      string_value: 'aGk/',
      aggregate_value: '',
    });
    expect(encodeJson('google.protobuf.FieldDescriptorProto', { name: 'f', type: 9, label: 1 })).toMatchObject({
      name: 'f',
      type: 'TYPE_STRING',
      label: 'LABEL_OPTIONAL',
    });
  });

  it('writes Any with @type and Durations as protojson strings', () => {
    const any = {
      type_url: 'type.googleapis.com/google.rpc.RetryInfo',
      value: Buffer.from(RetryInfo.encode({ retry_delay: { seconds: 840, nanos: 0 } }).finish()),
    };
    expect(encodeJson('google.rpc.Status', { code: 8, message: 'm', details: [any] })).toEqual({
      code: 8,
      message: 'm',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retry_delay: '840s' }],
    });
    const anyDur = {
      type_url: 'type.googleapis.com/google.protobuf.Duration',
      value: Buffer.from(Duration.encode({ seconds: 1, nanos: 0 }).finish()),
    };
    expect(encodeJson('google.rpc.Status', { details: [anyDur] }).details).toEqual([{ '@type': anyDur.type_url, value: '1s' }]);
  });

  it('round-trips through decodeJson', () => {
    const json = {
      user_id: 'u',
      tenant_id: 't',
      user_type: 'P',
      username: 'n',
      email: 'e@x',
      email_verified: true,
      phone_number: '',
      phone_number_verified: false,
      name: '张三',
      status: 'active',
      expires_at: '2030-01-01T00:00:00Z',
      groups: ['a', 'b'],
      created_at: '2024-01-01T00:00:00.001Z',
      updated_at: '2024-01-01T00:00:00Z',
    };
    expect(encodeJson('signet.auth.v1.User', decodeJson('signet.auth.v1.User', json))).toEqual(json);
  });
});

describe('formatting helpers', () => {
  it('formats durations like protojson', () => {
    expect(formatDuration({ seconds: 840, nanos: 0 })).toBe('840s');
    expect(formatDuration({ seconds: 1, nanos: 500_000_000 })).toBe('1.500s');
    expect(formatDuration({ seconds: 0, nanos: 1000 })).toBe('0.000001s');
    expect(formatDuration({ seconds: 0, nanos: 1 })).toBe('0.000000001s');
    expect(formatDuration({ seconds: -2, nanos: -250_000_000 })).toBe('-2.250s');
    expect(formatDuration(durationOf(0.25))).toBe('0.250s');
  });

  it('formats timestamps and refuses those protojson cannot write', () => {
    expect(formatTimestamp(new Date(0))).toBe('1970-01-01T00:00:00Z');
    expect(() => formatTimestamp(new Date(Date.UTC(10000, 0, 1)))).toThrow(RangeError);
    expect(() => formatTimestamp(new Date(NaN))).toThrow(RangeError);
  });
});
