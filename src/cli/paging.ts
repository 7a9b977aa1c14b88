// Fetches every page of a List call, or pages up to a number of items.
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

/** The server's largest page. */
export const MAX_PAGE_SIZE = 500;

/**
 * Fetches pages until `limit` items are in hand or the list ends. `more` says whether the server
 * had more to give.
 */
export async function listUpTo<R extends { next_page_token: string }, T>(
  fetch: (pageToken: string, pageSize: number) => Promise<R>,
  items: (res: R) => T[],
  limit: number,
): Promise<{ items: T[]; more: boolean }> {
  const all: T[] = [];
  const seen = new Set<string>();
  let token = '';
  for (;;) {
    const res = await fetch(token, Math.min(limit - all.length, MAX_PAGE_SIZE));
    all.push(...items(res));
    token = res.next_page_token;
    if (all.length >= limit) return { items: all.slice(0, limit), more: all.length > limit || token !== '' };
    if (!token) return { items: all, more: false };
    if (seen.has(token)) throw new CliError('the server repeated a page token', EXIT.SERVER);
    seen.add(token);
  }
}
