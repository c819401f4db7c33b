// Specifies protobuf-json.ts: an omitted field is its zero value, and a 12-byte object id reads the
// same whether the platform wrote it as hex or as base64 (standard or URL-safe, padding optional).
import { describe, expect, it } from 'vitest';
import { bool, encodeObjectId, idEncoding, list, num, objectIdHex, text } from '../../src/jumpcloud/protobuf-json.js';

const HEX = '65a0000000000000000000c1';
const BASE64 = 'ZaAAAAAAAAAAAADB';
/** An id whose base64 holds "+" and "/", so the URL-safe spelling differs. */
const SLASHY_HEX = 'fbfffe0000000000000000ff';
const SLASHY_BASE64 = '+//+AAAAAAAAAAD/';
const SLASHY_BASE64URL = '-__-AAAAAAAAAAD_';

describe('omitted fields are zero values', () => {
  it('reads an omitted boolean as false, and a present one as itself', () => {
    expect(bool(undefined)).toBe(false);
    expect(bool(false)).toBe(false);
    expect(bool(true)).toBe(true);
  });

  it('reads an omitted string as "", a number as 0 and a list as []', () => {
    expect(text(undefined)).toBe('');
    expect(text('x')).toBe('x');
    expect(num(undefined)).toBe(0);
    expect(num(3)).toBe(3);
    expect(list(undefined)).toEqual([]);
    expect(list(['a', 'b'])).toEqual(['a', 'b']);
  });

  it('reads a list without copying it (readonly to the caller), and an omitted one as an empty list nobody can fill', () => {
    const read = ['a'];
    expect(list(read)).toBe(read);
    expect(() => (list<string>(undefined) as string[]).push('b')).toThrow(TypeError);
    expect(list(undefined)).toEqual([]);
  });
});

describe('objectIdHex', () => {
  it('reads 24 hex characters, in either case, as lower-case hex', () => {
    expect(objectIdHex(HEX)).toBe(HEX);
    expect(objectIdHex(HEX.toUpperCase())).toBe(HEX);
  });

  it('reads standard base64 as the same id', () => {
    expect(objectIdHex(BASE64)).toBe(HEX);
    expect(objectIdHex(SLASHY_BASE64)).toBe(SLASHY_HEX);
  });

  it('reads URL-safe base64 as the same id', () => {
    expect(objectIdHex(SLASHY_BASE64URL)).toBe(SLASHY_HEX);
  });

  it('tolerates trailing padding', () => {
    expect(objectIdHex(`${BASE64}=`)).toBe(HEX);
    expect(objectIdHex(`${SLASHY_BASE64URL}==`)).toBe(SLASHY_HEX);
  });

  it.each([
    ['empty', ''],
    ['23 hex characters', HEX.slice(1)],
    ['25 hex characters', `${HEX}0`],
    ['hex with a space', ` ${HEX}`],
    ['a name', 'SIEM channel'],
    ['base64 of 11 bytes', Buffer.alloc(11, 1).toString('base64')],
    ['base64 of 13 bytes', Buffer.alloc(13, 1).toString('base64')],
    ['base64 with a character outside the alphabet', 'ZaAAAAAAAAAAAAD!'],
    ['a UUID', '0b5c7a4e-9d1f-4a6b-8c3e-2f1a0d9e8b7c'],
  ])('reads %s as no id', (_what, raw) => {
    expect(objectIdHex(raw)).toBeUndefined();
    expect(idEncoding(raw)).toBeUndefined();
  });
});

describe('idEncoding and encodeObjectId: ids are written back as the platform wrote them', () => {
  it('tells hex from base64', () => {
    expect(idEncoding(HEX)).toBe('hex');
    expect(idEncoding(HEX.toUpperCase())).toBe('hex');
    expect(idEncoding(BASE64)).toBe('base64');
    expect(idEncoding(SLASHY_BASE64URL)).toBe('base64');
  });

  it('writes hex as hex and base64 as standard base64', () => {
    expect(encodeObjectId(HEX, 'hex')).toBe(HEX);
    expect(encodeObjectId(HEX, 'base64')).toBe(BASE64);
    expect(encodeObjectId(SLASHY_HEX, 'base64')).toBe(SLASHY_BASE64);
  });

  it('round-trips: encode in either form, read back the same id', () => {
    for (const hex of [HEX, SLASHY_HEX, '000000000000000000000000', 'ffffffffffffffffffffffff']) {
      for (const encoding of ['hex', 'base64'] as const) {
        const written = encodeObjectId(hex, encoding);
        expect(objectIdHex(written), `${hex} as ${encoding}`).toBe(hex);
        expect(idEncoding(written), `${hex} as ${encoding}`).toBe(encoding);
      }
    }
  });
});
