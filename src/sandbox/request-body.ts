// Reads a JSON request body field by field, collecting every problem as a 400 detail so one
// response names all of them. Unknown fields are refused: the sandbox is strict on purpose.
import { badRequest, type ErrorDetail } from './api-error.js';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class BodyReader {
  readonly details: ErrorDetail[];
  readonly body: JsonObject;
  readonly #prefix: string;

  constructor(body: unknown, allowed: readonly string[], options: { prefix?: string; details?: ErrorDetail[] } = {}) {
    this.details = options.details ?? [];
    this.#prefix = options.prefix ?? '';
    if (!isObject(body)) {
      this.fail('', 'must be a JSON object');
      this.body = {};
      return;
    }
    this.body = body;
    for (const key of Object.keys(body)) {
      if (!allowed.includes(key)) this.fail(key, 'is not a known field');
    }
  }

  path(field: string): string {
    return this.#prefix === '' ? field : field === '' ? this.#prefix : `${this.#prefix}.${field}`;
  }

  fail(field: string, message: string): void {
    this.details.push({ field: this.path(field), message });
  }

  string(
    field: string,
    options: {
      required?: boolean;
      maxLength?: number;
      minLength?: number;
      oneOf?: readonly string[];
      pattern?: RegExp;
      hint?: string;
    } = {},
  ): string | undefined {
    const value = this.body[field];
    if (value === undefined) {
      if (options.required) this.fail(field, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.fail(field, 'must be a string');
      return undefined;
    }
    if (options.minLength !== undefined && value.length < options.minLength) {
      this.fail(field, options.minLength === 1 ? 'must not be empty' : `must be at least ${options.minLength} characters`);
      return undefined;
    }
    if (options.maxLength !== undefined && value.length > options.maxLength) {
      this.fail(field, `must be at most ${options.maxLength} characters`);
      return undefined;
    }
    if (options.oneOf !== undefined && !options.oneOf.includes(value)) {
      this.fail(field, `must be one of ${options.oneOf.join(', ')} (got "${value}")`);
      return undefined;
    }
    if (options.pattern !== undefined && !options.pattern.test(value)) {
      this.fail(field, options.hint ?? `must match ${String(options.pattern)}`);
      return undefined;
    }
    return value;
  }

  boolean(field: string, options: { required?: boolean } = {}): boolean | undefined {
    const value = this.body[field];
    if (value === undefined) {
      if (options.required) this.fail(field, 'is required');
      return undefined;
    }
    if (typeof value !== 'boolean') {
      this.fail(field, 'must be true or false');
      return undefined;
    }
    return value;
  }

  integer(field: string, options: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
    const value = this.body[field];
    if (value === undefined) {
      if (options.required) this.fail(field, 'is required');
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.fail(field, 'must be a whole number');
      return undefined;
    }
    if ((options.min !== undefined && value < options.min) || (options.max !== undefined && value > options.max)) {
      this.fail(field, `must be between ${options.min ?? '-∞'} and ${options.max ?? '∞'}`);
      return undefined;
    }
    return value;
  }

  array(field: string, options: { required?: boolean; maxItems?: number } = {}): unknown[] | undefined {
    const value = this.body[field];
    if (value === undefined) {
      if (options.required) this.fail(field, 'is required');
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.fail(field, 'must be an array');
      return undefined;
    }
    if (options.maxItems !== undefined && value.length > options.maxItems) {
      this.fail(field, `must have at most ${options.maxItems} items`);
      return undefined;
    }
    return value;
  }

  stringArray(field: string, options: { required?: boolean; maxItems?: number; unique?: boolean } = {}): string[] | undefined {
    const value = this.array(field, options);
    if (value === undefined) return undefined;
    const bad = value.findIndex((item) => typeof item !== 'string' || item === '');
    if (bad >= 0) {
      this.fail(`${field}[${bad}]`, 'must be a non-empty string');
      return undefined;
    }
    if (options.unique && new Set(value).size !== value.length) {
      this.fail(field, 'must not repeat an entry');
      return undefined;
    }
    return value as string[];
  }

  object(field: string): JsonObject | undefined {
    const value = this.body[field];
    if (value === undefined) return undefined;
    if (!isObject(value)) {
      this.fail(field, 'must be an object');
      return undefined;
    }
    return value;
  }

  /** Throws one 400 naming every problem found so far. */
  finish(message: string): void {
    if (this.details.length > 0) throw badRequest(message, this.details);
  }
}
