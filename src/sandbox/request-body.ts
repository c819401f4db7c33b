// What handlers do with a body the OpenAPI schema has already accepted: collect every semantic
// problem (references, combinations, ids) as a 400 detail, so one response names all of them.
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
