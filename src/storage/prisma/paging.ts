// Keyset paging by primary key: stable under inserts, and the token is just the last id seen.
import { invalidArgument } from '../../domain/errors.js';
import type { Page, PageRequest } from '../../domain/model.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export interface PageQuery {
  size: number;
  /** Rows strictly after this id; undefined for the first page. */
  after?: string;
}

export function pageQuery(page: PageRequest): PageQuery {
  const requested = Math.trunc(page.pageSize || 0);
  const size = requested <= 0 ? DEFAULT_PAGE_SIZE : Math.min(requested, MAX_PAGE_SIZE);
  if (!page.pageToken) return { size };
  const after = Buffer.from(page.pageToken, 'base64url').toString('utf8');
  // base64url decoding is lenient; a token that does not round-trip was not made here.
  if (after === '' || encodeToken(after) !== page.pageToken) {
    throw invalidArgument('page_token', 'page_token is not a token returned by a previous call');
  }
  return { size, after };
}

/** `rows` were fetched with `take: size + 1`: the extra row only says that more follow. */
export function toPage<T>(rows: T[], q: PageQuery, idOf: (row: T) => string): Page<T> {
  if (rows.length <= q.size) return { items: rows, nextPageToken: '' };
  const items = rows.slice(0, q.size);
  return { items, nextPageToken: encodeToken(idOf(items[items.length - 1])) };
}

function encodeToken(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}
