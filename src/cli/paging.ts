// Fetches every page of a List call.
import { CliError, EXIT } from './errors.js';

export async function listAll<R extends { next_page_token: string }, T>(
  fetch: (pageToken: string) => Promise<R>,
  items: (res: R) => T[],
): Promise<T[]> {
  const all: T[] = [];
  const seen = new Set<string>();
  let token = '';
  for (;;) {
    const res = await fetch(token);
    all.push(...items(res));
    token = res.next_page_token;
    if (!token) return all;
    // A server that hands out the same token twice would loop forever.
    if (seen.has(token)) throw new CliError('the server repeated a page token', EXIT.SERVER);
    seen.add(token);
  }
}
