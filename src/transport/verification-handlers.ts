// AuthService's captcha and verification-code RPCs: convert the request, call the domain, convert
// the answer. The rules live in domain/defence/captcha.ts and codes.ts.
import type { Deps } from '../domain/deps.js';
import type { CallContext, HandlersOf } from './context.js';
import type { AuthServiceDefinition } from '../gen/signet/auth/v1/auth_service.js';
import type {
  GetCaptchaRequest,
  GetCaptchaResponse,
  SendVerificationRequest,
  SendVerificationResponse,
  VerifyCaptchaRequest,
  VerifyCaptchaResponse,
  VerifyVerificationRequest,
  VerifyVerificationResponse,
} from '../gen/signet/auth/v1/verification.js';
import { authenticateClient, type ClientContext } from '../domain/accounts/clients.js';
import { readClientCredentials } from './credentials.js';
import { authenticateBearer } from '../domain/sessions/bearer.js';
import { invalidArgument } from '../domain/errors.js';
import { EMAIL, normalizeEmail, normalizePhone } from '../domain/accounts/identity.js';
import { readUserType } from '../domain/signin/rules.js';
import { createCaptcha, verifyCaptcha } from '../domain/defence/captcha.js';
import { sendCode, verifyCode } from '../domain/defence/codes.js';

const MAX_STATE = 256;
const MAX_USAGE = 64;

/**
 * The client of the call: client_id (body, query or HTTP Basic), else the client of a bearer
 * token, which is all the CloudBase SDK sends once a user is signed in.
 */
async function clientOf(deps: Deps, fields: { client_id?: string }, ctx: CallContext): Promise<ClientContext> {
  const creds = readClientCredentials(fields, ctx.metadata.authorization);
  if (!creds.clientId && /^bearer\s/i.test(ctx.metadata.authorization ?? '')) {
    creds.clientId = (await authenticateBearer(deps, ctx.metadata.authorization)).client_id;
  }
  await deps.limiter.checkRequest(ctx.clientIp, creds.clientId);
  return authenticateClient(deps.directory, creds, false);
}

function required(value: string, field: string, max = 128): string {
  if (!value) throw invalidArgument(field, `${field} is required`);
  if (value.length > max) throw invalidArgument(field, `at most ${max} characters`);
  return value;
}

function readTarget(v: string): 'ANY' | 'USER' {
  const t = v.trim().toUpperCase();
  if (t === '' || t === 'ANY') return 'ANY';
  if (t === 'USER') return 'USER';
  throw invalidArgument('target', 'must be ANY or USER');
}

function readDestination(req: SendVerificationRequest): { channel: 'sms' | 'email'; destination: string } {
  const phone = req.phone_number.trim();
  const email = req.email.trim();
  if (phone && email) throw invalidArgument('phone_number', 'give only one of phone_number or email');
  if (phone) return { channel: 'sms', destination: normalizePhone(phone) };
  if (!email) throw invalidArgument('phone_number', 'one of phone_number or email is required', 'invalid_argument.destination_missing');
  if (email.length > 254 || !EMAIL.test(email))
    throw invalidArgument('email', 'not a valid e-mail address', 'invalid_argument.email_format');
  return { channel: 'email', destination: normalizeEmail(email) };
}

type Handlers = HandlersOf<typeof AuthServiceDefinition>;

export function verificationHandlers(
  deps: Deps,
): Pick<Handlers, 'GetCaptcha' | 'VerifyCaptcha' | 'SendVerification' | 'VerifyVerification'> {
  return {
    async GetCaptcha(req: GetCaptchaRequest, ctx): Promise<GetCaptchaResponse> {
      const state = required(req.state, 'state', MAX_STATE);
      await clientOf(deps, req, ctx);
      const c = await createCaptcha(deps, { state });
      return { token: c.token, data: c.data, type: c.type, expires_in: c.expiresIn };
    },

    async VerifyCaptcha(req: VerifyCaptchaRequest, ctx): Promise<VerifyCaptchaResponse> {
      required(req.token, 'token');
      required(req.key, 'key');
      await deps.limiter.checkRequest(ctx.clientIp, '');
      const t = await verifyCaptcha(deps, req.token, req.key);
      return { captcha_token: t.captchaToken, expires_in: t.expiresIn };
    },

    async SendVerification(req: SendVerificationRequest, ctx): Promise<SendVerificationResponse> {
      const { channel, destination } = readDestination(req);
      const target = readTarget(req.target);
      const userType = readUserType(req.user_type);
      const usage = req.usage.trim().toLowerCase();
      if (usage.length > MAX_USAGE) throw invalidArgument('usage', `at most ${MAX_USAGE} characters`);
      const cc = await clientOf(deps, req, ctx);
      const sent = await sendCode(deps, {
        tenant: cc.tenant,
        userType,
        channel,
        destination,
        target,
        usage,
        captchaToken: req.captcha_token || ctx.metadata['x-captcha-token'] || undefined,
        locale: ctx.locale,
        ip: ctx.clientIp,
        clientId: cc.client.id,
      });
      return { verification_id: sent.verificationId, is_user: sent.isUser, expires_in: sent.expiresIn };
    },

    async VerifyVerification(req: VerifyVerificationRequest, ctx): Promise<VerifyVerificationResponse> {
      required(req.verification_id, 'verification_id');
      required(req.verification_code, 'verification_code', 16);
      await deps.limiter.checkRequest(ctx.clientIp, '');
      const t = await verifyCode(deps, req.verification_id, req.verification_code);
      return { verification_token: t.verificationToken, expires_in: t.expiresIn };
    },
  };
}
