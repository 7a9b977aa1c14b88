// REDIS_URL parsing. Three deployments, told apart by the scheme:
//
//   redis://[user:pass@]host[:6379][/db]          one node (rediss:// for TLS); handed to ioredis as is
//   redis+cluster://[user:pass@]h1:p1,h2:p2,…      Redis Cluster seed nodes (rediss+cluster:// for TLS)
//   redis+sentinel://[user:pass@]h1:p1,h2:p2,…/name[/db][?sentinelUsername=…&sentinelPassword=…]
//                                                 Sentinel; name is the monitored master
//                                                 (rediss+sentinel:// for TLS to master and sentinels)
//
// user:pass authenticates to the Redis nodes (ACL user or `requirepass`); for Sentinel, the
// sentinels' own credentials go in the query. Ports default to 6379 (26379 for sentinels). IPv6
// hosts are written in brackets: [::1]:6379. Percent-encode reserved characters in credentials.

export type RedisTarget =
  | { kind: 'single'; url: string; display: string }
  | {
      kind: 'cluster';
      nodes: HostPort[];
      tls: boolean;
      username?: string;
      password?: string;
      display: string;
    }
  | {
      kind: 'sentinel';
      sentinels: HostPort[];
      name: string;
      db: number;
      tls: boolean;
      username?: string;
      password?: string;
      sentinelUsername?: string;
      sentinelPassword?: string;
      display: string;
    };

export interface HostPort {
  host: string;
  port: number;
}

export class RedisUrlError extends Error {
  constructor(message: string) {
    super(`invalid REDIS_URL: ${message}`);
    this.name = 'RedisUrlError';
  }
}

const SCHEME = /^(rediss?)(?:\+(cluster|sentinel))?:\/\//i;

/** Parses REDIS_URL; throws RedisUrlError (without echoing credentials) when malformed. */
export function parseRedisUrl(raw: string): RedisTarget {
  const url = raw.trim();
  const m = SCHEME.exec(url);
  if (!m) {
    throw new RedisUrlError('expected redis://, rediss://, redis+cluster://, rediss+cluster://, redis+sentinel:// or rediss+sentinel://');
  }
  const tls = m[1].toLowerCase() === 'rediss';
  const mode = m[2]?.toLowerCase();
  if (!mode) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new RedisUrlError('not a URL');
    }
    if (!parsed.hostname && !parsed.pathname) throw new RedisUrlError('no host');
    return { kind: 'single', url, display: `${m[1].toLowerCase()}://${parsed.host}${dbSuffix(parsed.pathname)}` };
  }

  let rest = url.slice(m[0].length);
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const auth = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = auth.indexOf(':');
    const user = decode(colon >= 0 ? auth.slice(0, colon) : auth);
    password = colon >= 0 ? decode(auth.slice(colon + 1)) : undefined;
    username = user === '' ? undefined : user;
    if (password === '') password = undefined;
  }
  const slash = rest.indexOf('/');
  const hostList = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash + 1) : '';
  const params = new URLSearchParams(query);
  const scheme = `${m[1].toLowerCase()}+${mode}`;

  if (mode === 'cluster') {
    const nodes = parseHosts(hostList, 6379);
    if (path.replace(/\/+$/, '') !== '') throw new RedisUrlError('a cluster URL has no path (Redis Cluster has only db 0)');
    for (const key of params.keys()) throw new RedisUrlError(`unknown parameter "${key}" for ${scheme}`);
    return { kind: 'cluster', nodes, tls, username, password, display: `${scheme}://${formatHosts(nodes)}` };
  }

  const sentinels = parseHosts(hostList, 26379);
  const segments = path.split('/').filter(Boolean);
  const name = segments[0] ? decode(segments[0]) : '';
  if (!name) throw new RedisUrlError('a sentinel URL names the master: redis+sentinel://host:port,…/mymaster');
  if (segments.length > 2) throw new RedisUrlError('a sentinel URL path is /mastername[/db]');
  const db = segments[1] === undefined ? 0 : Number(segments[1]);
  if (!Number.isInteger(db) || db < 0) throw new RedisUrlError(`bad db number "${segments[1]}"`);
  let sentinelUsername: string | undefined;
  let sentinelPassword: string | undefined;
  for (const [key, value] of params) {
    if (key === 'sentinelUsername') sentinelUsername = value || undefined;
    else if (key === 'sentinelPassword') sentinelPassword = value || undefined;
    else throw new RedisUrlError(`unknown parameter "${key}" for ${scheme} (sentinelUsername, sentinelPassword)`);
  }
  return {
    kind: 'sentinel',
    sentinels,
    name,
    db,
    tls,
    username,
    password,
    sentinelUsername,
    sentinelPassword,
    display: `${scheme}://${formatHosts(sentinels)}/${name}${db ? `/${db}` : ''}`,
  };
}

function parseHosts(list: string, defaultPort: number): HostPort[] {
  const items = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new RedisUrlError('no host');
  return items.map((item) => {
    let host: string;
    let portText: string | undefined;
    if (item.startsWith('[')) {
      const end = item.indexOf(']');
      if (end < 0) throw new RedisUrlError(`bad host "${item}"`);
      host = item.slice(1, end);
      const after = item.slice(end + 1);
      if (after && !after.startsWith(':')) throw new RedisUrlError(`bad host "${item}"`);
      portText = after ? after.slice(1) : undefined;
    } else {
      const parts = item.split(':');
      if (parts.length > 2) throw new RedisUrlError(`bad host "${item}" (write IPv6 addresses in brackets)`);
      host = parts[0];
      portText = parts[1];
    }
    if (!host) throw new RedisUrlError(`bad host "${item}"`);
    const port = portText === undefined || portText === '' ? defaultPort : Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RedisUrlError(`bad port in "${item}"`);
    return { host, port };
  });
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new RedisUrlError('bad percent-encoding');
  }
}

const formatHosts = (hosts: HostPort[]) => hosts.map((h) => `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`).join(',');

const dbSuffix = (pathname: string) => (pathname && pathname !== '/' ? pathname : '');
