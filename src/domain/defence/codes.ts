// Verification codes: 6 digits sent by SMS or e-mail, exchanged for a verification token (CloudBase)
// or presented directly with the SMS grant (HZERO).
//
// The rules an attacker would test, and where each one holds:
// - sending: one send per destination per resendSeconds, dailyLimit per destination per 24 h, a
//   captcha from the 4th send in that window. One script checks and takes the slot, so parallel
//   requests cannot all slip through between a check and a write.
// - guessing: a code allows maxAttempts compares in total. Each attempt increments the counter
//   and compares in the same script, so 50 parallel guesses get exactly maxAttempts compares;
//   the last wrong one deletes the code, after which even the right code fails.
// - a dump of the store: codes are kept as HMACs, tokens as SHA-256, destinations only under an
//   HMAC in key names. Keys carry a hash tag so the keys of one script share a Cluster slot.
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import type { Deps } from '../deps.js';
import type { Tenant, UserType } from '../model.js';
import type { AtomicScript, ScriptableKeyValueStore } from '../ports.js';
import type { Locale } from '../model.js';
import { SignetError } from '../errors.js';
import { randomToken, sha256Hex } from '../crypto/secrets.js';
import { consumeCaptchaToken } from './captcha.js';
import { pacingOf } from './send_pacing.js';

/** Sends to one destination in the window before a captcha is needed (CloudBase's rule). */
export const CAPTCHA_AFTER_SENDS = 3;
/** The window of the daily limit: 24 h from the first send. */
export const SEND_WINDOW_SECONDS = 86400;
export const VERIFICATION_TOKEN_TTL_SECONDS = 600;
/** The captcha flow the CloudBase SDK names for POST /v1/verification. */
export const CODE_CAPTCHA_STATES = ['POST:/v1/verification'];

type Channel = 'sms' | 'email';

type Outcome = [string, number | string];

interface Scripts {
  reserve: AtomicScript<Outcome>;
  release: AtomicScript<number>;
  check: AtomicScript<Outcome>;
}

const scripts = new WeakMap<ScriptableKeyValueStore, Scripts>();

function scriptsOf(kv: ScriptableKeyValueStore): Scripts {
  let s = scripts.get(kv);
  if (s) return s;
  s = {
    // KEYS: gap, day. ARGV: resendSeconds, dailyLimit, window, captchaAfter, captchaOk, slot.
    // → {'gap'|'day', seconds left} | {'captcha', sends} | {'ok', sends}
    reserve: kv.defineScript<Outcome>({
      name: 'codes-reserve',
      numKeys: 2,
      lua: `
        local gap = tonumber(ARGV[1])
        if gap > 0 then
          local t = redis.call('TTL', KEYS[1])
          if t ~= -2 then return {'gap', math.max(t, 1)} end
        end
        local n = tonumber(redis.call('GET', KEYS[2]) or '0')
        if n >= tonumber(ARGV[2]) then return {'day', math.max(redis.call('TTL', KEYS[2]), 1)} end
        if n >= tonumber(ARGV[4]) and ARGV[5] ~= '1' then return {'captcha', n} end
        if gap > 0 then redis.call('SET', KEYS[1], ARGV[6], 'EX', gap) end
        n = redis.call('INCR', KEYS[2])
        if n == 1 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
        return {'ok', n}`,
      memory(ks, [gapKey, dayKey], [resend, daily, window, captchaAfter, captchaOk, slot]) {
        const gap = Number(resend);
        if (gap > 0) {
          const t = ks.ttl(gapKey);
          if (t !== -2) return ['gap', Math.max(t, 1)];
        }
        let n = Number(ks.get(dayKey) ?? '0');
        if (n >= Number(daily)) return ['day', Math.max(ks.ttl(dayKey), 1)];
        if (n >= Number(captchaAfter) && captchaOk !== '1') return ['captcha', n];
        if (gap > 0) ks.set(gapKey, slot, gap);
        n = ks.incrBy(dayKey, 1);
        if (n === 1) ks.expire(dayKey, Number(window));
        return ['ok', n];
      },
    }),
    // A send the provider refused gives its slot back. KEYS: gap, day. ARGV: slot.
    release: kv.defineScript<number>({
      name: 'codes-release',
      numKeys: 2,
      lua: `
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
        if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
        return 1`,
      memory(ks, [gapKey, dayKey], [slot]) {
        if (ks.get(gapKey) === slot) ks.del(gapKey);
        if (Number(ks.get(dayKey) ?? '0') > 0) ks.incrBy(dayKey, -1);
        return 1;
      },
    }),
    // KEYS: code, attempts. ARGV: mac, maxAttempts, ttl, expected tenant, expected destination
    // (empty: any). → {'ok', record} | {'wrong', attempts left} | {'gone', 0}
    check: kv.defineScript<Outcome>({
      name: 'codes-check',
      numKeys: 2,
      lua: `
        local rec = redis.call('GET', KEYS[1])
        if not rec then return {'gone', 0} end
        local r = cjson.decode(rec)
        local n = redis.call('INCR', KEYS[2])
        if n == 1 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
        local max = tonumber(ARGV[2])
        if n > max then redis.call('DEL', KEYS[1], KEYS[2]) return {'gone', 0} end
        if r.h == ARGV[1] and (ARGV[4] == '' or r.t == ARGV[4]) and (ARGV[5] == '' or r.d == ARGV[5]) then
          redis.call('DEL', KEYS[1], KEYS[2])
          return {'ok', rec}
        end
        if n >= max then redis.call('DEL', KEYS[1], KEYS[2]) end
        return {'wrong', max - n}`,
      memory(ks, [codeKey, attemptsKey], [mac, maxAttempts, ttl, tenant, dest]) {
        const rec = ks.get(codeKey);
        if (rec === null) return ['gone', 0];
        const r = JSON.parse(rec) as CodeRecord;
        const n = ks.incrBy(attemptsKey, 1);
        if (n === 1) ks.expire(attemptsKey, Number(ttl));
        const max = Number(maxAttempts);
        if (n > max) {
          ks.del(codeKey);
          ks.del(attemptsKey);
          return ['gone', 0];
        }
        if (r.h === mac && (tenant === '' || r.t === tenant) && (dest === '' || r.d === dest)) {
          ks.del(codeKey);
          ks.del(attemptsKey);
          return ['ok', rec];
        }
        if (n >= max) {
          ks.del(codeKey);
          ks.del(attemptsKey);
        }
        return ['wrong', max - n];
      },
    }),
  };
  scripts.set(kv, s);
  return s;
}

/** A code as stored: h = HMAC of the code; the rest is what the verification token will carry. */
interface CodeRecord {
  h: string;
  t: string;
  u: UserType;
  c: Channel;
  d: string;
  g: string;
}

const mac = (deps: Deps, ...parts: string[]) => createHmac('sha256', deps.hmacKey).update(parts.join('\n')).digest('hex');
const codeMac = (deps: Deps, id: string, code: string) => mac(deps, 'code', id, code);
const destinationKeys = (deps: Deps, channel: Channel, destination: string) => {
  const tag = mac(deps, 'destination', channel, destination);
  return [`code-send:{${tag}}:gap`, `code-send:{${tag}}:day`];
};
const codeKeys = (id: string) => [`code:{${id}}`, `code:{${id}}:n`];
const tokenKey = (token: string) => `verification-token:{${sha256Hex(token)}}`;
/** Verification ids are ours: 32 hex. Anything else is unknown without asking the store. */
const VERIFICATION_ID = /^[0-9a-f]{32}$/;

export interface SendCodeRequest {
  tenant: Tenant;
  userType: UserType;
  channel: Channel;
  /** Already normalised: E.164 or a lower-cased e-mail address. */
  destination: string;
  /** 'USER': only to an existing user (`not_found` otherwise). */
  target: 'ANY' | 'USER';
  usage: string;
  captchaToken?: string;
  locale: Locale;
  ip: string;
  clientId: string;
}

export interface SentCode {
  verificationId: string;
  isUser: boolean;
  expiresIn: number;
}

export async function sendCode(deps: Deps, req: SendCodeRequest): Promise<SentCode> {
  const ttl = deps.settings.codes.ttlSeconds;
  const field = req.channel === 'sms' ? 'phone' : 'email';
  const user = await deps.storage.users.findByLogin(req.tenant.id, req.userType, field, req.destination);
  const hide = req.tenant.policy.hideUnknownUsers === true;
  if (!user && req.target === 'USER' && !hide) {
    throw new SignetError('not_found', 'destination_unknown', { message: req.channel === 'sms' ? 'not_found.phone' : 'not_found.email' });
  }
  // Hidden unknown user: everything happens as for a real one (limits, a stored code that counts
  // attempts) except the message, so neither the answer nor later calls tell the difference.
  const suppress = !user && req.target === 'USER';
  const [gapKey, dayKey] = destinationKeys(deps, req.channel, req.destination);
  const slot = randomToken(12);
  await reserveSend(deps, req, gapKey, dayKey, slot);

  const id = randomBytes(16).toString('hex');
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const record: CodeRecord = {
    h: suppress ? randomBytes(32).toString('hex') : codeMac(deps, id, code),
    t: req.tenant.id, u: req.userType, c: req.channel, d: req.destination, g: req.usage,
  };
  await deps.kv.set(codeKeys(id)[0], JSON.stringify(record), ttl);
  const pacing = pacingOf(deps.sender);
  if (suppress) {
    await new Promise((resolve) => setTimeout(resolve, pacing.waitMs()));
  } else {
    try {
      const started = performance.now();
      await deps.sender.send({
        channel: req.channel, to: req.destination, code, usage: req.usage, tenantId: req.tenant.id,
        expiresInSeconds: ttl, locale: req.locale,
      });
      pacing.observe(performance.now() - started);
    } catch (err) {
      await scriptsOf(deps.kv).release([gapKey, dayKey], [slot]);
      await deps.kv.del(codeKeys(id)[0]);
      throw new SignetError('unavailable', 'code_send_failed', { metadata: { sender: deps.sender.name }, message: 'unavailable.code_send' }, err);
    }
  }
  deps.audit.record({
    event: suppress ? 'code_suppressed' : 'code_sent', tenantId: req.tenant.id, clientId: req.clientId, ip: req.ip, reason: req.channel,
  });
  // With hide_unknown_users, is_user would tell what the policy hides: it is always true then.
  return { verificationId: id, isUser: hide || user !== null, expiresIn: ttl };
}

async function reserveSend(deps: Deps, req: SendCodeRequest, gapKey: string, dayKey: string, slot: string): Promise<void> {
  const s = deps.settings.codes;
  const run = (captchaOk: boolean) =>
    scriptsOf(deps.kv).reserve([gapKey, dayKey], [s.resendSeconds, s.dailyLimit, SEND_WINDOW_SECONDS, CAPTCHA_AFTER_SENDS, captchaOk ? 1 : 0, slot]);
  let [outcome, value] = await run(false);
  if (outcome === 'captcha') {
    // Only now is the captcha token spent: a token sent along "just in case" survives.
    if (!req.captchaToken) throw new SignetError('captcha_required', 'code_captcha_missing');
    if (!(await consumeCaptchaToken(deps, req.captchaToken, CODE_CAPTCHA_STATES))) throw new SignetError('captcha_invalid', 'code_captcha_invalid');
    [outcome, value] = await run(true);
  }
  if (outcome === 'gap' || outcome === 'day') {
    const gap = outcome === 'gap';
    throw new SignetError('resource_exhausted', 'code_send_limited', {
      retryAfterSeconds: Number(value), metadata: { scope: gap ? 'code_resend' : 'code_daily' },
      // "Wait {0} s" for the resend gap; the daily limit names no wait (it ends tomorrow).
      ...(gap ? { message: 'resource_exhausted.code_resend' as const, params: [Number(value)] } : { message: 'resource_exhausted.code_daily' as const }),
    });
  }
}

/**
 * One compare of a code; the record when it was right, else `verification_invalid` with attempts
 * left. Not `captcha_invalid`: the CloudBase SDK answers that one with an image captcha and a
 * retry of the request, which would spend a second attempt on the same typo.
 */
async function check(deps: Deps, verificationId: string, code: string, expect: { tenantId: string; destination: string }): Promise<CodeRecord> {
  // A wrong code knows the attempts left (the message then names them); a burned, unknown or
  // expired one answers 0 in the metadata and the message without a count.
  const invalid = (left: number, known: boolean) => new SignetError('verification_invalid', known ? 'code_wrong' : 'code_unknown', {
    metadata: { limit_remaining: String(left) }, ...(known ? { params: [left] } : { message: 'verification_invalid.expired' as const }),
  });
  if (!VERIFICATION_ID.test(verificationId)) throw invalid(0, false);
  const s = deps.settings.codes;
  const [outcome, value] = await scriptsOf(deps.kv).check(codeKeys(verificationId), [
    codeMac(deps, verificationId, code), s.maxAttempts, s.ttlSeconds, expect.tenantId, expect.destination,
  ]);
  if (outcome === 'ok') return JSON.parse(String(value)) as CodeRecord;
  if (outcome === 'wrong') throw invalid(Number(value), true);
  throw invalid(0, false);
}

export interface VerificationToken {
  verificationToken: string;
  expiresIn: number;
}

/** CloudBase's verification/verify: a right code becomes a single-use verification token. */
export async function verifyCode(deps: Deps, verificationId: string, code: string): Promise<VerificationToken> {
  const r = await check(deps, verificationId, code, { tenantId: '', destination: '' });
  const token = randomToken(32);
  const carried: Omit<CodeRecord, 'h'> = { t: r.t, u: r.u, c: r.c, d: r.d, g: r.g };
  await deps.kv.set(tokenKey(token), JSON.stringify(carried), VERIFICATION_TOKEN_TTL_SECONDS);
  return { verificationToken: token, expiresIn: VERIFICATION_TOKEN_TTL_SECONDS };
}

/** HZERO's one step (SMS grant): the code must have been sent to `destination` for this tenant. */
export async function checkCode(
  deps: Deps, verificationId: string, code: string, expect: { tenantId: string; destination: string },
): Promise<VerifiedDestination & { usage: string }> {
  const r = await check(deps, verificationId, code, expect);
  return { channel: r.c, destination: r.d, userType: r.u, usage: r.g };
}

export interface VerifiedDestination {
  channel: Channel;
  destination: string;
  userType: UserType;
}

/**
 * Spends a verification token. Null when unknown, expired, spent, of another tenant, or (when
 * `expect.usage` is given) issued for another usage; a code sent without a usage serves any.
 */
export async function consumeVerificationToken(
  deps: Deps, token: string, expect: { tenantId: string; usage?: string },
): Promise<VerifiedDestination | null> {
  if (!token) return null;
  const raw = await deps.kv.getDel(tokenKey(token));
  if (raw === null) return null;
  const r = JSON.parse(raw) as Omit<CodeRecord, 'h'>;
  if (r.t !== expect.tenantId) return null;
  if (expect.usage !== undefined && r.g !== '' && r.g !== expect.usage) return null;
  return { channel: r.c, destination: r.d, userType: r.u };
}
