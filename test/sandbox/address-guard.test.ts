// The address guard: a corpus of private, loopback, link-local, unspecified and IPv4-mapped
// addresses is refused, both as literals and as what a name resolves to in the socket's lookup.
// Nothing here sends traffic; names resolve through the local hosts file.
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { AddressRefusedError, checkLiteralHost, guardedLookup, refusalReason } from '../../src/sandbox/address-guard.js';

const refused = [
  '127.0.0.1',
  '127.8.9.10',
  '10.0.0.1',
  '10.255.255.255',
  '172.16.0.1',
  '172.31.255.254',
  '192.168.0.1',
  '169.254.169.254',
  '0.0.0.0',
  '100.64.0.1',
  '224.0.0.1',
  '255.255.255.255',
  '::1',
  '::',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::ffff:10.0.0.1',
  '::ffff:169.254.169.254',
  '::127.0.0.1',
  '64:ff9b::192.168.1.1',
  'fc00::1',
  'fd12:3456::1',
  'fe80::1',
  'fe80::1%eth0',
  '[::1]',
  'ff02::1',
];
const allowed = ['93.184.216.34', '172.32.0.1', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'];

function lookupOf(allowPrivate: boolean, host: string): Promise<{ error: NodeJS.ErrnoException | null; addresses: LookupAddress[] }> {
  return new Promise((resolve) => {
    guardedLookup(allowPrivate)(host, { all: true }, (error, addresses) => resolve({ error, addresses: addresses as LookupAddress[] }));
  });
}

describe('the address guard', () => {
  it.each(refused)('refuses %s', (address) => {
    expect(refusalReason(address)).toBeDefined();
    expect(() => checkLiteralHost(address, false)).toThrow(AddressRefusedError);
    expect(() => checkLiteralHost(address, true)).not.toThrow();
  });

  it.each(allowed)('allows the public address %s', (address) => {
    expect(refusalReason(address)).toBeUndefined();
  });

  it('refuses names that resolve to loopback in the lookup the socket uses', async () => {
    for (const host of ['localhost', '127.0.0.1', '::1']) {
      const { error } = await lookupOf(false, host);
      expect(error, host).toBeInstanceOf(AddressRefusedError);
      expect(error?.message).toMatch(/--allow-private-webhooks/);
    }
  });

  it('resolves loopback names when private webhooks are allowed', async () => {
    const { error, addresses } = await lookupOf(true, 'localhost');
    expect(error).toBeNull();
    expect(addresses.length).toBeGreaterThan(0);
  });

  it('answers a single-address lookup in the (address, family) form net.connect expects', async () => {
    const answer = await new Promise<{ address: unknown; family: unknown }>((resolve) => {
      guardedLookup(true)('localhost', { family: 4 }, (_error, address, family) => resolve({ address, family }));
    });
    expect(answer).toEqual({ address: '127.0.0.1', family: 4 });
  });
});
