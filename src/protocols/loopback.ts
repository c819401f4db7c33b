// Loopback names as the internet's rules define them (RFC 6761 for localhost, RFC 5735 and 4291 for
// the addresses): shared by the config's webhook rules and both web consoles' Host checks.
import { isIP } from 'node:net';

/** 127.0.0.0/8, ::1 (and its IPv4-mapped and long forms), localhost and *.localhost. 0.0.0.0 and :: mean every interface, so they are not loopback. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1).toLowerCase() : hostname.toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(host);
  return false;
}

/** Whether a Host header names this machine's loopback, on any port: what a DNS-rebinding page cannot send. */
export function isLoopbackHostHeader(header: string | undefined): boolean {
  if (header === undefined) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(header.trim());
  return match?.[1] !== undefined && isLoopbackHost(match[1]);
}
