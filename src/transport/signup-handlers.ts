// Creating accounts: AuthService.SignUp, SignInAnonymously (and the v2 code sign-in), and
// AccountService's CheckUsername / CheckIfUserExist. Convert, call the domain
// (domain/accounts/sign-up.ts), convert back.
import type { Deps } from '../domain/deps.js';
import type { HandlersOf } from './context.js';
import type { AccountServiceDefinition } from '../gen/signet/auth/v1/account_service.js';
import type { AuthServiceDefinition } from '../gen/signet/auth/v1/auth_service.js';
import { unbuilt } from './unbuilt.js';

export function signUpHandlers(_deps: Deps): Pick<HandlersOf<typeof AuthServiceDefinition>, 'SignUp' | 'SignInAnonymously'> {
  return {
    SignUp: unbuilt('SignUp'),
    SignInAnonymously: unbuilt('SignInAnonymously'),
  };
}

export function accountCheckHandlers(_deps: Deps): Pick<HandlersOf<typeof AccountServiceDefinition>, 'CheckUsername' | 'CheckIfUserExist'> {
  return {
    CheckUsername: unbuilt('CheckUsername'),
    CheckIfUserExist: unbuilt('CheckIfUserExist'),
  };
}
