// Argument checks shared by both key-value backends, so that they reject the same calls.
import type { ScriptDefinition, ScriptResult } from '../kv.js';

/** A TTL is a positive whole number of seconds (what SET EX and EXPIRE accept). */
export function assertTtl(ttlSeconds: number): void {
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`ttlSeconds must be a positive integer, got ${ttlSeconds}`);
  }
}

/** A script is called with exactly the number of keys it declares. */
export function assertScriptKeys(def: ScriptDefinition<ScriptResult>, keys: string[]): void {
  if (keys.length !== def.numKeys) {
    throw new RangeError(`script ${def.name} takes ${def.numKeys} key(s), got ${keys.length}`);
  }
}

/** Script names must be unique per store; defining the same script again is harmless. */
export function assertScriptName(defined: Map<string, string>, def: ScriptDefinition<ScriptResult>): void {
  if (!def.name) throw new RangeError('a script needs a name');
  if (!Number.isSafeInteger(def.numKeys) || def.numKeys < 0) {
    throw new RangeError(`script ${def.name}: numKeys must be a non-negative integer`);
  }
  const known = defined.get(def.name);
  if (known !== undefined && known !== def.lua) throw new RangeError(`script ${def.name} is already defined differently`);
  defined.set(def.name, def.lua);
}
