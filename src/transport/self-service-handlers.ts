// AccountService: recovery and self-service (reset, sudo, password, contact, profile, query,
// delete). Convert, call one domain command (domain/accounts/), convert back. No rules here.
import type { Deps } from '../domain/deps.js';
import type { HandlersOf } from './context.js';
import type { AccountServiceDefinition } from '../gen/signet/auth/v1/account_service.js';
import { unbuilt } from './unbuilt.js';

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

export function selfServiceHandlers(_deps: Deps): Pick<HandlersOf<typeof AccountServiceDefinition>, SelfServiceRpcs> {
  return {
    ResetPassword: unbuilt('ResetPassword'),
    UpdatePasswordWithoutSession: unbuilt('UpdatePasswordWithoutSession'),
    Sudo: unbuilt('Sudo'),
    SetPassword: unbuilt('SetPassword'),
    EditBasicInfo: unbuilt('EditBasicInfo'),
    EditContact: unbuilt('EditContact'),
    UpdateProfile: unbuilt('UpdateProfile'),
    QueryUsers: unbuilt('QueryUsers'),
    DeleteMe: unbuilt('DeleteMe'),
  };
}
