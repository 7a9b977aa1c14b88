import { Writable } from 'node:stream';
import { Metadata } from '@grpc/grpc-js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { REASONS, SignetError, type Reason } from '../../src/domain/errors.js';
import { hzeroKeyFor, MESSAGES, messageFor } from '../../src/transport/messages.js';
import type { Any } from '../../src/gen/google/protobuf/any.js';
import { BadRequest, ErrorInfo, LocalizedMessage, RetryInfo } from '../../src/gen/google/rpc/error_details.js';
import { Status } from '../../src/gen/google/rpc/status.js';
import { statusToGrpcDetailsBin, statusToJson, toGrpcServiceError, toStatus, TYPE_URLS, HttpError } from '../../src/transport/status.js';

function capture() {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

const decodeDetails = (bin: Buffer) => {
  const st = Status.decode(bin);
  return { st, types: st.details.map((d: Any) => d.type_url) };
};

describe('message catalogue', () => {
  it('has zh and en text for every reason', () => {
    for (const reason of Object.keys(REASONS) as Reason[]) {
      const e = MESSAGES[reason];
      expect(e, reason).toBeDefined();
      expect(e.zh.length, reason).toBeGreaterThan(0);
      expect(e.en.length, reason).toBeGreaterThan(0);
      // A text with placeholders must have a variant for an error without params.
      if (/\{\d\}/.test(e.zh + e.en)) expect(e.withoutParams, reason).toBeDefined();
    }
  });

  it('fills placeholders and falls back when params are missing', () => {
    expect(messageFor('invalid_password', 'zh-CN', [3])).toBe('您输入的账号或密码错误，还可以尝试3次');
    expect(messageFor('invalid_password', 'en', [3])).toBe('Account or password is wrong, 3 attempts left.');
    expect(messageFor('invalid_password', 'zh-CN')).toBe('您输入的账号或密码错误');
    expect(hzeroKeyFor('invalid_password', [3])).toBe('hoth.warn.passwordError');
    expect(hzeroKeyFor('invalid_password')).toBe('hoth.warn.usernameNotFoundOrPasswordIsWrong');
    expect(hzeroKeyFor('user_expired')).toBe('hoth.warn.accountExpire');
    expect(hzeroKeyFor('not_found')).toBeUndefined();
  });

  it('says what the CloudBase SDK says for unauthenticated', () => {
    expect(messageFor('unauthenticated', 'en')).toBe('the oauth2.0 access token is not correct or expired');
    expect(messageFor('unauthenticated', 'zh-CN')).toBe('访问令牌不正确或已过期');
  });
});

describe('toStatus', () => {
  it('renders a SignetError with its code, reason and details', () => {
    const err = new SignetError('invalid_password', 'test', { params: [4], metadata: { limit_remaining: '4' } });
    const rs = toStatus(err, 'en');
    expect(rs).toEqual({
      code: 16,
      reason: 'invalid_password',
      message: 'Account or password is wrong, 4 attempts left.',
      messageId: 'invalid_password',
      hzeroKey: 'hoth.warn.passwordError',
      httpStatus: 401,
      errorInfo: {
        reason: 'invalid_password',
        domain: 'signet.auth.v1',
        metadata: { limit_remaining: '4', hzero_key: 'hoth.warn.passwordError' },
      },
      localizedMessage: { locale: 'en', message: 'Account or password is wrong, 4 attempts left.' },
    });
  });

  it('honours an httpStatus override', () => {
    expect(toStatus(new HttpError('method_not_allowed', 'test', 405), 'en').httpStatus).toBe(405);
    expect(toStatus(new SignetError('method_not_allowed', 'test'), 'en').httpStatus).toBe(501);
  });

  it('turns anything else into a logged, text-free internal', () => {
    const { log, lines } = capture();
    const rs = toStatus(new Error('connect ECONNREFUSED password=hunter2'), 'zh-CN', log);
    expect(rs.reason).toBe('internal');
    expect(rs.code).toBe(13);
    expect(rs.httpStatus).toBe(500);
    expect(rs.message).toBe('服务器内部错误');
    expect(JSON.stringify(statusToJson(rs))).not.toContain('hunter2');
    expect(lines).toHaveLength(1);
    expect(lines[0].level).toBe(50);
    expect(lines[0].err.message).toContain('ECONNREFUSED');
    expect(lines[0].err.stack).toContain('status.test.ts');
  });

  it('handles thrown non-errors', () => {
    expect(toStatus('boom', 'en').reason).toBe('internal');
    expect(toStatus(undefined, 'en').reason).toBe('internal');
    expect(toStatus({ code: 5, message: 'fake' }, 'en').code).toBe(13);
  });
});

describe('grpc-status-details-bin', () => {
  it('carries ErrorInfo, BadRequest, RetryInfo and LocalizedMessage as Any, in that order', () => {
    const err = new SignetError('invalid_status', 'test', {
      metadata: { limit_remaining: '0' },
      fieldViolations: [{ field: 'username', description: 'locked' }],
      retryAfterSeconds: 840,
    });
    const rs = toStatus(err, 'en');
    const { st, types } = decodeDetails(statusToGrpcDetailsBin(rs));
    expect(st.code).toBe(9);
    expect(st.message).toBe('Your account is locked.');
    expect(types).toEqual([TYPE_URLS.errorInfo, TYPE_URLS.badRequest, TYPE_URLS.retryInfo, TYPE_URLS.localizedMessage]);
    expect(types[0]).toBe('type.googleapis.com/google.rpc.ErrorInfo');
    expect(ErrorInfo.decode(st.details[0].value)).toEqual({
      reason: 'invalid_status',
      domain: 'signet.auth.v1',
      metadata: { limit_remaining: '0', hzero_key: 'hoth.warn.accountLocked' },
    });
    expect(BadRequest.decode(st.details[1].value).field_violations).toEqual([
      { field: 'username', description: 'locked', reason: '', localized_message: undefined },
    ]);
    expect(RetryInfo.decode(st.details[2].value).retry_delay).toEqual({ seconds: 840, nanos: 0 });
    expect(LocalizedMessage.decode(st.details[3].value)).toEqual({ locale: 'en', message: 'Your account is locked.' });
  });

  it('has only ErrorInfo and LocalizedMessage for a plain error, and fractional retry delays', () => {
    const plain = decodeDetails(statusToGrpcDetailsBin(toStatus(new SignetError('not_found', 'test'), 'zh-CN')));
    expect(plain.types).toEqual([TYPE_URLS.errorInfo, TYPE_URLS.localizedMessage]);
    expect(LocalizedMessage.decode(plain.st.details[1].value).locale).toBe('zh-CN');
    const frac = decodeDetails(
      statusToGrpcDetailsBin(toStatus(new SignetError('resource_exhausted', 'test', { retryAfterSeconds: 1.5 }), 'en')),
    );
    expect(RetryInfo.decode(frac.st.details[1].value).retry_delay).toEqual({ seconds: 1, nanos: 500_000_000 });
  });

  it('makes a grpc-js ServiceError with the trailer', () => {
    const rs = toStatus(new SignetError('unauthenticated', 'test'), 'en');
    const se = toGrpcServiceError(rs);
    expect(se).toBeInstanceOf(Error);
    expect(se.code).toBe(16);
    expect(se.details).toBe('the oauth2.0 access token is not correct or expired');
    expect(se.metadata).toBeInstanceOf(Metadata);
    const bin = se.metadata.get('grpc-status-details-bin')[0] as Buffer;
    expect(Buffer.compare(bin, statusToGrpcDetailsBin(rs))).toBe(0);
  });
});

describe('statusToJson', () => {
  it('is a grpc-gateway Status and a CloudBase error at once', () => {
    const err = new SignetError('invalid_password', 'test', { params: [2], metadata: { limit_remaining: '2' }, retryAfterSeconds: 300 });
    expect(statusToJson(toStatus(err, 'zh-CN'))).toEqual({
      code: 16,
      message: '您输入的账号或密码错误，还可以尝试2次',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'invalid_password',
          domain: 'signet.auth.v1',
          metadata: { limit_remaining: '2', hzero_key: 'hoth.warn.passwordError' },
          limit_remaining: 2,
          retry_delay: '300s',
        },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retry_delay: '300s' },
        { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'zh-CN', message: '您输入的账号或密码错误，还可以尝试2次' },
      ],
      error: 'invalid_password',
      error_code: 16,
      error_description: '您输入的账号或密码错误，还可以尝试2次',
    });
  });

  it('adds no CloudBase extras to details[0] when there is nothing to say', () => {
    const json = statusToJson(
      toStatus(new SignetError('invalid_argument', 'test', { fieldViolations: [{ field: 'a.b', description: 'x' }] }), 'en'),
    );
    expect(json.details[0]).toEqual({
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'invalid_argument',
      domain: 'signet.auth.v1',
      metadata: {},
    });
    expect(json.details[1]).toEqual({
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      field_violations: [{ field: 'a.b', description: 'x' }],
    });
  });
});
