// Keeps webhook deliveries off private networks: classifies an IP address (private, loopback,
// link-local, unspecified, multicast, and IPv4 embedded in IPv6) and supplies the DNS lookup the
// delivery socket itself uses, so a name cannot resolve to a refused address after a check.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP, isIPv4 } from 'node:net';

const blockedV4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this" network, including 0.0.0.0
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved and broadcast
] as const) {
  blockedV4.addSubnet(network, prefix, 'ipv4');
}

const blockedV6 = new BlockList();
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  blockedV6.addSubnet(network, prefix, 'ipv6');
}

/** The eight 16-bit groups of an IPv6 address (with an optional dotted IPv4 tail), or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted !== null) {
    if (!isIPv4(dotted[2] ?? '')) return undefined;
    const bytes = (dotted[2] ?? '').split('.').map(Number);
    tail.push(((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0), ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0));
    text = dotted[1] ?? '';
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const [head = '', rest] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = [...(rest === undefined ? [] : parse(rest)), ...tail];
  const missing = 8 - left.length - right.length;
  if (rest === undefined && missing !== 0) return undefined;
  if (missing < 0) return undefined;
  return [...left, ...Array<number>(rest === undefined ? 0 : missing).fill(0), ...right];
}

/** An IPv4 address carried inside an IPv6 one: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d) or NAT64 (64:ff9b::/96). */
export function embeddedIPv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  if (groups === undefined) return undefined;
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = groups;
  const v4 = `${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`;
  const zeroHead = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (zeroHead && g5 === 0xffff) return v4;
  if (zeroHead && g5 === 0 && (g6 !== 0 || g7 > 1)) return v4;
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return v4;
  return undefined;
}

/** Why an address may not receive webhooks, or undefined when it may. */
export function refusalReason(address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return blockedV4.check(bare, 'ipv4') ? `${bare} is a private, loopback, link-local or reserved address` : undefined;
  if (family === 6) {
    const inner = embeddedIPv4(bare);
    if (inner !== undefined) {
      const innerReason = refusalReason(inner);
      return innerReason === undefined ? undefined : `${bare} carries ${innerReason}`;
    }
    return blockedV6.check(bare, 'ipv6') ? `${bare} is a private, loopback, link-local or reserved address` : undefined;
  }
  return `${address} is not an IP address`;
}

/**
 * The error a refused connection fails with: never retried. Its message names neither the host nor
 * the address, since a URL placeholder (a secret) may have supplied them; `reason` keeps the detail.
 */
export class AddressRefusedError extends Error {
  readonly code = 'EADDRREFUSED';
  readonly reason: string;
  constructor(reason: string) {
    super(
      'refused to connect: the receiver is at a private, loopback, link-local or reserved address (start the sandbox with --allow-private-webhooks to allow it)',
    );
    this.name = 'AddressRefusedError';
    this.reason = reason;
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A drop-in for dns.lookup as net.connect calls it: resolves, and fails the connection when any
 * resolved address is refused. With `allowPrivate` it is plain dns.lookup.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions | number, callback: LookupCallback): void => {
    const opts = typeof options === 'number' ? { family: options } : options;
    dnsLookup(hostname, { ...opts, all: true }, (error, addresses) => {
      if (error) {
        callback(error, []);
        return;
      }
      if (!allowPrivate) {
        for (const entry of addresses) {
          const reason = refusalReason(entry.address);
          if (reason !== undefined) {
            callback(new AddressRefusedError(reason), []);
            return;
          }
        }
      }
      if ((opts as LookupAllOptions).all === true) callback(null, addresses);
      else {
        const first = addresses[0];
        if (first === undefined) callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
        else callback(null, first.address, first.family);
      }
    });
  };
}

/** Checks a URL's host when it is an IP literal (net.connect skips the lookup for those). */
export function checkLiteralHost(hostname: string, allowPrivate: boolean): void {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (allowPrivate || isIP(bare) === 0) return;
  const reason = refusalReason(bare);
  if (reason !== undefined) throw new AddressRefusedError(reason);
}
