// The sandbox's profiles and what the strict one changes on the wire: closed request bodies, ids
// declared `format: byte` as base64 ObjectId bytes, and protojson's omission of zero values.
import type { ErrorDetail } from './api-error.js';
import { isObject, type Problems } from './request-body.js';

/**
 * default: today's lenient answers (extensions served, hex ids, every field in responses).
 * strict: the pessimistic reading of JumpCloud's published API description.
 */
export const profiles = ['default', 'strict'] as const;
export type Profile = (typeof profiles)[number];

/**
 * The fields an object of a published request body may carry. A field maps to the shape of its
 * value when that is a closed object (or an array of them), or to null for a scalar, an array of
 * scalars, or an object the contract leaves open (additionalProperties: true).
 */
export interface BodyShape {
  readonly [field: string]: BodyShape | null;
}

/** Every field the body carries that its published shape does not define, as 400 details. */
export function unknownFields(body: unknown, shape: BodyShape, prefix = ''): ErrorDetail[] {
  if (!isObject(body)) return [];
  const details: ErrorDetail[] = [];
  for (const [field, value] of Object.entries(body)) {
    const path = prefix === '' ? field : `${prefix}.${field}`;
    if (!Object.hasOwn(shape, field)) {
      details.push({ field: path, message: 'is not a field of the published request body' });
      continue;
    }
    const inner = shape[field];
    if (inner === null || inner === undefined) continue;
    if (Array.isArray(value)) for (const [index, item] of value.entries()) details.push(...unknownFields(item, inner, `${path}[${index}]`));
    else details.push(...unknownFields(value, inner, path));
  }
  return details;
}

const hexObjectId = /^[0-9a-f]{24}$/;
// Standard or URL-safe alphabet, padded or not: what protojson accepts for bytes.
const base64Text = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** The ObjectId's 12 bytes in standard base64: how protojson writes a `format: byte` id. */
export function objectIdBytes(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

/**
 * Reads an ObjectId sent in a `format: byte` field and returns it as the 24-hex id the sandbox
 * stores, or undefined when it is not one. strict: base64 of the 12 bytes only (a hex id decodes
 * to 18 bytes, so it is refused). default: that, or the 24-hex id itself.
 */
export function readObjectId(value: string, profile: Profile): string | undefined {
  if (profile === 'default' && hexObjectId.test(value)) return value;
  if (!base64Text.test(value)) return undefined;
  const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === 12 ? bytes.toString('hex') : undefined;
}

/** What a refused `format: byte` id is told, per profile. */
export function objectIdHint(profile: Profile): string {
  return profile === 'strict'
    ? 'must be the base64 of the 12 ObjectId bytes (format: byte), e.g. ZaAAAAAAAAAAAADB for 65a0000000000000000000c1'
    : 'must be a 24-character hex ObjectId or the base64 of its 12 bytes';
}

/**
 * The organizationObjectId a body may carry (a `format: byte` field): it must name the org the
 * request acts on. Shared by every Access Requests write.
 */
export function checkOrganizationObjectId(problems: Problems, requested: string | undefined, orgId: string, profile: Profile): void {
  if (requested === undefined || requested === '') return;
  const hex = readObjectId(requested, profile);
  if (hex === undefined) problems.fail('organizationObjectId', objectIdHint(profile));
  else if (hex !== orgId) problems.fail('organizationObjectId', 'does not match the organization of this request');
}

/**
 * A body as protojson reads it: a field holding its zero value ("", 0, false, null, an empty list,
 * an enum's zero) is the same as a field left out, at every depth. The strict profile reads the
 * bodies of protobuf operations so before checking them.
 */
export function withoutZeroValues(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => withoutZeroValues(item));
  if (!isObject(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [field, raw] of Object.entries(value)) {
    const kept = withoutZeroValues(raw);
    const zero =
      kept === '' ||
      kept === 0 ||
      kept === false ||
      kept === null ||
      (Array.isArray(kept) && kept.length === 0) ||
      (enumZeroValues as readonly unknown[]).includes(kept);
    if (!zero) result[field] = kept;
  }
  return result;
}

/**
 * Fields of the protobuf ("ingresso") messages declared `format: byte` that carry an ObjectId
 * (the other byte fields, metadata and wfMetadata, the sandbox never sends).
 */
export const byteIdFields = ['channelObjectId', 'organizationId', 'organizationObjectId'] as const;

/** Enum values that are their enum's zero value (the first, *_UNSPECIFIED): protojson omits them. */
export const enumZeroValues = ['TTL_CONFIG_UNSPECIFIED', 'ACCESS_MANAGEMENT_EVENT_TYPE_UNSPECIFIED'] as const;

function isZero(value: unknown): boolean {
  if (value === false || value === 0 || value === '' || value === null || value === undefined) return true;
  if ((enumZeroValues as readonly unknown[]).includes(value)) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isObject(value) && Object.keys(value).length === 0;
}

/**
 * A response of a protobuf endpoint as protojson writes it by default: fields holding a zero value
 * (false, 0, "", an enum's zero, an empty list or map, an absent message) are left out, at every
 * depth, and ObjectIds in byte fields are base64. Items of a list are kept even when empty.
 */
export function protojsonView(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => protojsonView(item));
  if (!isObject(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [field, raw] of Object.entries(value)) {
    const encoded = (byteIdFields as readonly string[]).includes(field) && typeof raw === 'string' && hexObjectId.test(raw) ? objectIdBytes(raw) : raw;
    const view = protojsonView(encoded);
    if (!isZero(view)) result[field] = view;
  }
  return result;
}
