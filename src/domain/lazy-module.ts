// Packages that only some requests need, loaded on their first use instead of at start: the
// captcha drawer (it parses a font when imported), the SVG rasteriser (a native library) and the
// common-password list. A server that never draws a captcha or checks a new password never pays
// their resident memory; the first request that does waits for one synchronous load.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** `load()` requires the CommonJS package `specifier` once, on the first call, and returns it. */
export function lazyRequire<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= require(specifier) as T;
    return loaded;
  };
}
