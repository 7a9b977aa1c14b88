// The client's address. x-forwarded-for is believed only when it comes from a configured proxy,
// else any client could pick the IP that rate limits and audit records see.
import { BlockList, isIP } from 'node:net';

export class TrustedProxies {
  private readonly list = new BlockList();
  private readonly empty: boolean;

  /** Entries are IPs or CIDRs, IPv4 or IPv6 ("10.0.0.0/8", "::1"). */
  constructor(entries: string[]) {
    this.empty = entries.length === 0;
    for (const e of entries) {
      const [addr, bits] = e.split('/');
      const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
      if (!isIP(addr)) throw new Error(`SIGNET_TRUSTED_PROXIES: ${e} is not an IP or CIDR`);
      if (bits === undefined) this.list.addAddress(addr, family);
      else this.list.addSubnet(addr, Number(bits), family);
    }
  }

  trusts(ip: string): boolean {
    if (this.empty || !ip) return false;
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    return isIP(ip) !== 0 && this.list.check(ip, family);
  }

  /**
   * Walks x-forwarded-for from the right, skipping trusted proxies: the first address not ours
   * is the client. Left-most entries are whatever the client claimed and are never believed.
   */
  clientIp(peer: string, forwardedFor: string | undefined): string {
    const p = unmapV4(peer);
    if (!forwardedFor || !this.trusts(p)) return p;
    const hops = forwardedFor
      .split(',')
      .map((s) => unmapV4(s.trim()))
      .filter((s) => isIP(s) !== 0);
    for (let i = hops.length - 1; i >= 0; i--) if (!this.trusts(hops[i])) return hops[i];
    return hops[0] ?? p;
  }
}

/** "::ffff:127.0.0.1" → "127.0.0.1", so IPv4 rules match dual-stack sockets. */
export const unmapV4 = (ip: string): string => (ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip);

/** grpc-js peer strings: "ipv4:1.2.3.4:5678", "ipv6:[::1]:5678", "unix:…". */
export function peerAddress(peer: string): string {
  const m = /^ipv4:([\d.]+):\d+$/.exec(peer) ?? /^ipv6:\[([^\]]+)\]:\d+$/.exec(peer);
  return m ? unmapV4(m[1]) : '';
}
