// What handlers do with a body the OpenAPI schema has already accepted: collect every semantic
// problem (references, combinations, ids) as a 400 detail, so one response names all of them. And
// before any of that, the bound on how deeply a body's JSON may nest.
import { badRequest, type ErrorDetail } from './api-error.js';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class Problems {
  readonly details: ErrorDetail[];
  readonly #prefix: string;

  /** `prefix` names the object these problems are in (e.g. "approverResources[1]"); `details` shares a list. */
  constructor(options: { prefix?: string; details?: ErrorDetail[] } = {}) {
    this.details = options.details ?? [];
    this.#prefix = options.prefix ?? '';
  }

  /** Problems inside a nested object, reported into the same list. */
  at(prefix: string): Problems {
    return new Problems({ prefix: this.path(prefix), details: this.details });
  }

  path(field: string): string {
    return this.#prefix === '' ? field : field === '' ? this.#prefix : `${this.#prefix}.${field}`;
  }

  fail(field: string, message: string): void {
    this.details.push({ field: this.path(field), message });
  }

  /** Throws one 400 naming every problem found so far. */
  finish(message: string): void {
    if (this.details.length > 0) throw badRequest(message, this.details);
  }
}

/**
 * The deepest a request body's JSON may nest. Every published body is a few levels deep; a group's
 * free-form `attributes` gets room to spare. Schema validation, the strict profile's field walks and
 * storing all recurse once per level, so a body nested 100,000 deep would exhaust the stack.
 */
export const MAX_BODY_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether JSON text nests objects and arrays deeper than `max`, found by one pass over the text
 * (brackets inside strings do not count), before it is parsed: nothing recursive sees it.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}
