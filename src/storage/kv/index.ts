// The domain's shared-state ports, built on one key-value store: Redis (Lua where a step
// touches several keys) or the in-process store (the scripts' JavaScript twins).
import type { SharedStores } from '../../domain/ports.js';
import type { ScriptableKeyValueStore } from '../kv.js';
import { KvCaptchaStore } from './captcha.js';
import { KvRateCounters } from './counters.js';
import { KvCodeStore } from './codes.js';
import { KvDeviceGrantStore } from './devices.js';
import { KvLockoutStore } from './lockout.js';
import { KvOneTimeTokens, KvReplayMemory, KvRevocationMarks } from './marks.js';

export {
  KvCaptchaStore,
  KvCodeStore,
  KvDeviceGrantStore,
  KvLockoutStore,
  KvOneTimeTokens,
  KvRateCounters,
  KvReplayMemory,
  KvRevocationMarks,
};

export function sharedStores(kv: ScriptableKeyValueStore): SharedStores {
  return {
    counters: new KvRateCounters(kv),
    devices: new KvDeviceGrantStore(kv),
    lockout: new KvLockoutStore(kv),
    codes: new KvCodeStore(kv),
    captcha: new KvCaptchaStore(kv),
    revocations: new KvRevocationMarks(kv),
    replays: new KvReplayMemory(kv),
    oneTime: new KvOneTimeTokens(kv),
  };
}
