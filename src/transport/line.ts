// The protocol line: every request message of every RPC, whichever dialect carried it, is
// checked here before its handler sees it. Text that is not text (a NUL byte or another control
// character) is refused as invalid_argument naming the field, so that it never fails deeper as
// `internal` (PostgreSQL refuses NUL outright); passwords and ciphertexts are the user's bytes
// and may hold anything. Every text field has a maximum length and every list a maximum size, the
// same on both dialects, so no field can make a request, a log line or an answer grow.
import { invalidArgument } from '../domain/errors.js';
import type { CallContext, ServiceHandlers, UnaryHandler } from './context.js';
import { T, type MessageInfo, type Registry } from './registry.js';

/** Fields whose content is the user's own and may hold anything (and a PEM key, which is lines). */
const OPAQUE_FIELDS = new Set(['password', 'new_password', 'old_password', 'params', 'public_key']);

/**
 * The longest value of each field, by name, in characters: identifiers, e-mails and phones
 * short; passwords long enough for any passphrase or an RSA ciphertext of one (4096-bit key:
 * 684 base64 characters), as OWASP asks, yet bounded; tokens and CloudBase `params` sized to what
 * Signet itself issues and accepts (an access token with many groups; 8 RSA blocks of a 4096-bit
 * key, hex then base64).
 */
const MAX_LENGTH: Readonly<Record<string, number>> = {
  user_type: 8,
  login_field: 16,
  source_type: 16,
  channel: 16,
  target: 16,
  client_type: 16,
  password_encryption: 16,
  status: 16,
  token_type_hint: 32,
  phone_number: 32,
  phone: 32,
  verification_code: 32,
  captcha: 32,
  alg: 16,
  provider_id: 64,
  display_name: 256,
  // A tenant logo may be a data: image (up to 32 KiB; domain/accounts/branding.ts checks it).
  logo_url: 32768,
  grant_type: 64,
  usage: 64,
  event: 64,
  key: 64,
  second_factor: 32,
  client_id: 128,
  tenant_id: 128,
  user_id: 128,
  username: 128,
  device_id: 128,
  app_code: 128,
  // QueryUsers' ids: the CloudBase SDK sends them comma-joined in one value (20 UUIDs).
  id: 1024,
  kid: 128,
  public_key_thumbprint: 128,
  verification_id: 128,
  captcha_key: 128,
  sub: 128,
  thumbprint: 128,
  sudo_token: 128,
  conflict_resolution: 64,
  email: 254,
  name: 256,
  app_name: 256,
  captcha_token: 256,
  verification_token: 256,
  page_token: 256,
  client_secret: 256,
  refresh_token: 256,
  ip: 256,
  state: 512,
  password: 1024,
  new_password: 1024,
  old_password: 1024,
  password_hash: 1024,
  scope: 1024,
  picture: 1024,
  avatar_url: 1024,
  description: 2048,
  encrypt_password: 4096,
  encrypt_new_password: 4096,
  redirect_uri: 2048,
  redirect_uris: 2048,
  sign_out_uri: 2048,
  authorize_url: 2048,
  app_image: 2048,
  token: 8192,
  // Sign-up: an anonymous user's access token, a third party's token (ignored).
  anonymous_token: 8192,
  provider_token: 2048,
  // Token exchange (RFC 8693): an access token; resource is a URI.
  subject_token: 8192,
  actor_token: 8192,
  resource: 2048,
  params: 16384,
  // A custom sign-in ticket: a JWS of a few claims (an RSA signature of 8192 bits is 1366 characters).
  ticket: 4096,
  // A ticket key as the operator pastes it: PEM (lines, hence opaque) or JWK of an RSA key.
  public_key: 4096,
};
/** Any other text field. */
const DEFAULT_MAX_LENGTH = 256;
/** Any list: groups, scopes, grant types, login ways. */
const MAX_ITEMS = 64;

const maxLengthOf = (field: string) => MAX_LENGTH[field] ?? DEFAULT_MAX_LENGTH;

/** C0 and C1 controls and DEL: nothing an identifier, token, key or name ever contains. */
const CONTROL = /[\p{Cc}]/u;

export const isPlain = (value: string): boolean => !CONTROL.test(value);

/** Checks a value from the metadata (a header) the way fields are checked. */
export function plain(value: string, field: string): string {
  if (!isPlain(value)) throw invalidArgument(field, 'must not contain control characters');
  return value;
}

/**
 * Refuses the first field of the message (depth first) that is too long or holds a control
 * character. On every request's path: it allocates nothing unless it refuses.
 */
export function checkMessage(msg: Record<string, unknown>, info: MessageInfo, path = ''): void {
  for (const f of info.fields) {
    const v = msg[f.name];
    if (v === undefined || v === null) continue;
    if (f.type === T.STRING) {
      if (!f.repeated) {
        text(v as string, f.name, path);
        continue;
      }
      const list = v as string[];
      if (list.length > MAX_ITEMS) throw invalidArgument(path + f.name, `at most ${MAX_ITEMS} items`);
      for (const s of list) text(s, f.name, path);
    } else if (f.map) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length > MAX_ITEMS) throw invalidArgument(path + f.name, `at most ${MAX_ITEMS} entries`);
      for (const [k, item] of entries) {
        text(k, f.name, path);
        if (typeof item === 'string') text(item, f.name, path);
      }
    } else if (f.message && !f.wellKnown) {
      if (!f.repeated) {
        checkMessage(v as Record<string, unknown>, f.message, `${path + f.name}.`);
        continue;
      }
      const list = v as Record<string, unknown>[];
      if (list.length > MAX_ITEMS) throw invalidArgument(path + f.name, `at most ${MAX_ITEMS} items`);
      for (const item of list) checkMessage(item, f.message, `${path + f.name}.`);
    } else if (f.repeated && (v as unknown[]).length > MAX_ITEMS) {
      throw invalidArgument(path + f.name, `at most ${MAX_ITEMS} items`);
    }
  }
}

function text(value: string, field: string, path: string): void {
  const max = maxLengthOf(field);
  if (value.length > max) throw invalidArgument(path + field, `at most ${max} characters`);
  if (value !== '' && !OPAQUE_FIELDS.has(field) && !isPlain(value)) {
    throw invalidArgument(path + field, 'must not contain control characters');
  }
}

interface MethodDefinition {
  name: string;
  requestType: unknown;
}

/**
 * The handlers of a service with the line check in front of each. `onRefused` lets a service
 * account for a request refused here (the sign-in RPCs count it against the rate limits).
 */
export function checkedAtTheLine<H extends ServiceHandlers>(
  definition: { methods: Record<string, MethodDefinition> },
  handlers: H,
  registry: Registry,
  onRefused?: (rpc: string, req: Record<string, unknown>, ctx: CallContext, err: unknown) => Promise<never>,
): H {
  const out: ServiceHandlers = { ...handlers };
  for (const m of Object.values(definition.methods)) {
    const handler = handlers[m.name];
    const typeName = registry.typeNameOf(m.requestType);
    if (!handler || !typeName) continue;
    const info = registry.message(typeName);
    // Not async: the handler's own promise is passed on, adding no tick to every call.
    const checked: UnaryHandler = (req, ctx) => {
      try {
        checkMessage(req, info);
      } catch (err) {
        return onRefused ? onRefused(m.name, req, ctx, err) : Promise.reject(err);
      }
      return handler(req, ctx);
    };
    out[m.name] = checked;
  }
  return out as H;
}
