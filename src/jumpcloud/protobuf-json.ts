// Protobuf JSON tolerance, in one place. The Access Requests endpoints speak protobuf JSON: a field
// at its zero value may be left out, and `bytes` ids come as base64. Every read goes through here.

/** An omitted boolean is false. */
export function bool(value: boolean | undefined): boolean {
  return value ?? false;
}

/** An omitted string is "". */
export function text(value: string | undefined): string {
  return value ?? '';
}

/** An omitted number is 0. */
export function num(value: number | undefined): number {
  return value ?? 0;
}

const NONE: readonly never[] = Object.freeze([]);

/** An omitted list is [] (the list itself otherwise, not a copy: reading a page must not copy every list in it). */
export function list<T>(value: readonly T[] | undefined): readonly T[] {
  return value ?? NONE;
}

export { encodeObjectId, idEncoding, objectIdHex, type IdEncoding } from '../model/object-id.js';
