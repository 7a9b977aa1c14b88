// What a login page needs to know before the user signs in: whether the password form must show
// a captcha, and which third-party logins the tenant offers (GetSignInOptions, and HZERO's
// /oauth/login/init-params). The captcha answer comes from the same rule the sign-in enforces
// (defence/gate.ts), so the page and the sign-in never disagree.
import type { Deps } from '../deps.js';
import type { SignInOptionsCommand } from '../commands.js';
import { identifyClient } from '../defence/endpoints.js';
import type { ClientContext } from '../accounts/clients.js';
import type { OpenLoginWay } from '../model.js';
import { invalidArgument } from '../errors.js';
import { readIdentifier } from '../accounts/identity.js';
import { readUserType } from './rules.js';
import { channelOf, effectivePolicy } from '../defence/policy.js';
import { captchaDue, failureSubject, identifierKey } from '../defence/gate.js';

/** Longer than any identifier Signet stores: refused before it reaches the database. */
const MAX_USERNAME = 256;

export interface SignInOptionsRequest {
  username?: string;
  /** "web", "app", or HZERO's "pc", "ios", "android", "pad"; empty: every channel. */
  channel?: string;
  userType?: string;
  ip: string;
}

export interface SignInOptions {
  needCaptcha: boolean;
  openLoginWays: OpenLoginWay[];
}

/**
 * An unknown username is answered exactly as a known one with the same failure count: unknown
 * identifiers count failures like accounts (see failureSubject), and both cost one user lookup
 * and one counter read.
 */
/** GetSignInOptions: it reads the user table, so it is rate-limited like a sign-in and cannot probe faster. */
export async function signInOptions(deps: Deps, cmd: SignInOptionsCommand): Promise<SignInOptions> {
  const cc = await identifyClient(deps, cmd);
  return getSignInOptions(deps, cc, { username: cmd.username, channel: cmd.channel, userType: cmd.userType, ip: cmd.ip });
}

export async function getSignInOptions(deps: Deps, cc: ClientContext, req: SignInOptionsRequest): Promise<SignInOptions> {
  const channel = channelOf(req.channel ?? '');
  if (channel === undefined) throw invalidArgument('channel', 'web, app, pc, ios, android, pad or empty');
  const userType = readUserType(req.userType);
  const username = (req.username ?? '').trim();
  if (username.length > MAX_USERNAME) throw invalidArgument('username', `at most ${MAX_USERNAME} characters`);
  const policy = effectivePolicy(cc.tenant.policy);
  const ipFailures = await deps.limiter.ipFailures(req.ip);
  let subject = null;
  if (username) {
    const id = readIdentifier({ username });
    const user = await deps.storage.users.findByLogin(cc.tenant.id, userType, id.field, id.value);
    subject = failureSubject(cc.tenant.id, user, identifierKey(userType, id));
  }
  const needCaptcha = await captchaDue(deps, policy, subject, ipFailures);
  const openLoginWays = policy.openLoginWays.filter((w) => channel === '' || w.channel === '' || w.channel === channel);
  return { needCaptcha, openLoginWays };
}
