// The protocol line: every request message of every RPC, whichever dialect carried it, is
// checked here before its handler sees it. Text that is not text (a NUL byte or another control
// character) is refused as invalid_argument naming the field, so that it never fails deeper as
// `internal` (PostgreSQL refuses NUL outright). Passwords and ciphertexts are the user's bytes
// and are left alone.
import { invalidArgument } from '../domain/errors.js';
import type { CallContext, ServiceHandlers, UnaryHandler } from './context.js';
import { T, type MessageInfo, type Registry } from './registry.js';

/** Fields whose content is the user's own and may hold anything. */
const OPAQUE_FIELDS = new Set(['password', 'new_password', 'old_password', 'params']);

/** C0 and C1 controls and DEL: nothing an identifier, token, key or name ever contains. */
const CONTROL = /[\p{Cc}]/u;

export const isPlain = (value: string): boolean => !CONTROL.test(value);

/** Checks a value from the metadata (a header) the way fields are checked. */
export function plain(value: string, field: string): string {
  if (!isPlain(value)) throw invalidArgument(field, 'must not contain control characters');
  return value;
}

/** Refuses the first text field of the message (depth first) that holds a control character. */
export function checkMessage(msg: Record<string, unknown>, info: MessageInfo, path = ''): void {
  for (const f of info.fields) {
    const v = msg[f.name];
    if (v === undefined || v === null || OPAQUE_FIELDS.has(f.name)) continue;
    const name = path + f.name;
    if (f.type === T.STRING) {
      for (const s of f.repeated ? (v as string[]) : [v as string]) plain(s, name);
    } else if (f.map) {
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        plain(k, name);
        if (typeof item === 'string') plain(item, name);
      }
    } else if (f.message && !f.wellKnown) {
      for (const item of f.repeated ? (v as Record<string, unknown>[]) : [v as Record<string, unknown>]) {
        checkMessage(item, f.message, `${name}.`);
      }
    }
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
    const checked: UnaryHandler = async (req, ctx) => {
      try {
        checkMessage(req, info);
      } catch (err) {
        if (onRefused) return onRefused(m.name, req, ctx, err);
        throw err;
      }
      return handler(req, ctx);
    };
    out[m.name] = checked;
  }
  return out as H;
}
