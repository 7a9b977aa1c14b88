// AccountService: recovery and self-service (reset, sudo, password, contact, profile, query,
// delete). Convert, call one domain command (domain/accounts/), convert back. No rules here.
import type { Deps } from '../domain/deps.js';
import type { CallContext, HandlersOf } from './context.js';
import type { AccountServiceDefinition } from '../gen/signet/auth/v1/account_service.js';
import { resetPassword, updatePasswordWithoutSession } from '../domain/accounts/recovery.js';
import { sudo } from '../domain/accounts/sudo.js';
import {
  deleteMe,
  editBasicInfo,
  editContact,
  queryUsers,
  setPassword,
  updateProfile,
  type SelfCall,
} from '../domain/accounts/self-service.js';
import { bearerOf, readClientCredentials } from './credentials.js';
import { simpleProfileOf, userInfoOf } from './user-out.js';
import { captchaTokenOf } from './auth-in.js';

type SelfServiceRpcs =
  | 'ResetPassword'
  | 'UpdatePasswordWithoutSession'
  | 'Sudo'
  | 'SetPassword'
  | 'EditBasicInfo'
  | 'EditContact'
  | 'UpdateProfile'
  | 'QueryUsers'
  | 'DeleteMe';

/** The signed-in caller as the call carries it: the bearer access token and the client IP. */
const selfCall = (ctx: CallContext): SelfCall => ({ accessToken: bearerOf(ctx.metadata.authorization), ip: ctx.clientIp });

export function selfServiceHandlers(deps: Deps): Pick<HandlersOf<typeof AccountServiceDefinition>, SelfServiceRpcs> {
  return {
    async ResetPassword(req, ctx) {
      await resetPassword(deps, {
        client: readClientCredentials(req, ctx.metadata.authorization),
        ip: ctx.clientIp,
        email: req.email,
        phoneNumber: req.phone_number,
        verificationToken: req.verification_token,
        newPassword: req.new_password,
      });
      return {};
    },

    async UpdatePasswordWithoutSession(req, ctx) {
      await updatePasswordWithoutSession(deps, {
        client: readClientCredentials(req, ctx.metadata.authorization),
        ip: ctx.clientIp,
        username: req.username,
        password: req.password,
        newPassword: req.new_password,
        thumbprint: req.public_key_thumbprint,
        userType: req.user_type,
        captchaToken: captchaTokenOf(req.captcha_token, ctx),
      });
      return {};
    },

    async Sudo(req, ctx) {
      const t = await sudo(deps, {
        ...selfCall(ctx),
        password: req.password,
        verificationToken: req.verification_token,
        captchaToken: captchaTokenOf(req.captcha_token, ctx),
      });
      return { sudo_token: t.sudoToken, expires_in: t.expiresIn };
    },

    async SetPassword(req, ctx) {
      await setPassword(deps, { ...selfCall(ctx), sudoToken: req.sudo_token, newPassword: req.new_password });
      return {};
    },

    async EditBasicInfo(req, ctx) {
      await editBasicInfo(deps, {
        ...selfCall(ctx),
        userId: req.user_id,
        nickname: req.nickname,
        username: req.username,
        avatarUrl: req.avatar_url,
        gender: req.gender,
        password: req.password,
        newPassword: req.new_password,
        email: req.email,
        phone: req.phone,
        encryptPassword: req.encrypt_password,
        encryptNewPassword: req.encrypt_new_password,
        thumbprint: req.public_key_thumbprint,
        captchaToken: captchaTokenOf(req.captcha_token, ctx),
      });
      return {};
    },

    async EditContact(req, ctx) {
      await editContact(deps, {
        ...selfCall(ctx),
        phoneNumber: req.phone_number,
        email: req.email,
        sudoToken: req.sudo_token,
        verificationToken: req.verification_token,
        conflictResolution: req.conflict_resolution,
      });
      return {};
    },

    async UpdateProfile(req, ctx) {
      return userInfoOf(
        await updateProfile(deps, { ...selfCall(ctx), name: req.name, picture: req.picture, gender: req.gender, locale: req.locale }),
      );
    },

    async QueryUsers(req, ctx) {
      const r = await queryUsers(deps, {
        ...selfCall(ctx),
        ids: req.id,
        username: req.username,
        email: req.email,
        phoneNumber: req.phone_number,
      });
      return { total: r.users.length, data: r.users.map((u) => simpleProfileOf(u, u.id === r.caller.id)) };
    },

    async DeleteMe(req, ctx) {
      return userInfoOf(await deleteMe(deps, { ...selfCall(ctx), sudoToken: req.sudo_token }));
    },
  };
}
