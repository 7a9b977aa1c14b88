// AuthService's captcha and verification-code RPCs: convert the request, call one domain
// endpoint (domain/defence/endpoints.ts), convert the answer.
import type { Deps } from '../domain/deps.js';
import type { CallContext, HandlersOf } from './context.js';
import type { AuthServiceDefinition } from '../gen/signet/auth/v1/auth_service.js';
import type { ClientCall } from '../domain/commands.js';
import { answerCaptcha, getCaptcha, sendVerification, verifyVerification } from '../domain/defence/endpoints.js';
import { bearerOf, readClientCredentials } from './credentials.js';

type Handlers = HandlersOf<typeof AuthServiceDefinition>;

/** The client as a browser call names it: client_id (body, query, Basic) or its access token. */
export const clientCallOf = (fields: { client_id?: string }, ctx: CallContext): ClientCall => ({
  client: readClientCredentials(fields, ctx.metadata.authorization),
  accessToken: bearerOf(ctx.metadata.authorization),
  ip: ctx.clientIp,
});

export function verificationHandlers(
  deps: Deps,
): Pick<Handlers, 'GetCaptcha' | 'VerifyCaptcha' | 'SendVerification' | 'VerifyVerification'> {
  return {
    async GetCaptcha(req, ctx) {
      const c = await getCaptcha(deps, { ...clientCallOf(req, ctx), state: req.state });
      return { token: c.token, data: c.data, type: c.type, expires_in: c.expiresIn };
    },

    async VerifyCaptcha(req, ctx) {
      const t = await answerCaptcha(deps, { ip: ctx.clientIp, token: req.token, answer: req.key });
      return { captcha_token: t.captchaToken, expires_in: t.expiresIn };
    },

    async SendVerification(req, ctx) {
      const sent = await sendVerification(deps, {
        ...clientCallOf(req, ctx),
        phoneNumber: req.phone_number,
        email: req.email,
        target: req.target,
        usage: req.usage,
        userType: req.user_type,
        captchaToken: req.captcha_token || ctx.metadata['x-captcha-token'] || '',
        locale: ctx.locale,
      });
      return { verification_id: sent.verificationId, is_user: sent.isUser, expires_in: sent.expiresIn };
    },

    async VerifyVerification(req, ctx) {
      const t = await verifyVerification(deps, { ip: ctx.clientIp, verificationId: req.verification_id, code: req.verification_code });
      return { verification_token: t.verificationToken, expires_in: t.expiresIn };
    },
  };
}
