// Option objects checked before anything runs: every key known (a misspelt one is refused with
// the nearest known name), every value of its kind (no string where a boolean or a number
// belongs: `returnSequences: 'false'` is refused, not read as true). Ranges and meanings stay
// with each option's resolver. Plain data, shared by the GPU side and the CPU reference.
import { describeValue, ShapeError } from './errors.js';

/** An option object holds an unknown key, or a value of the wrong kind. A ShapeError, as every bad argument. */
export class OptionError extends ShapeError {
  override name = 'OptionError';
}

/**
 * What a key's value must be (undefined is always allowed: the default applies):
 * 'number' any finite number; 'integer' a whole number; 'shape' an array of whole numbers or
 * nulls; 'object' a plain object (its keys are the resolver's to check); 'array'; 'any'; or
 * `nested(schema)`: a plain object checked against its own schema, keys and kinds alike.
 */
export type OptionKind = 'boolean' | 'string' | 'number' | 'integer' | 'function' | 'object' | 'array' | 'shape' | 'stringOrObject' | 'any' | NestedKind;

/** An option object inside an option object, with its own schema. */
export interface NestedKind {
  readonly nested: Readonly<Record<string, OptionKind>>;
}

/** A schema: every key an option object may hold, with its kind. */
export type OptionSchema<T> = { readonly [K in keyof Required<T>]: OptionKind };

/** The kind of an option object inside an option object: checked by `schema` (its path in the messages). */
export function nested<T>(schema: OptionSchema<T>): NestedKind {
  return { nested: schema as Readonly<Record<string, OptionKind>> };
}

function matches(kind: Exclude<OptionKind, NestedKind>, value: unknown): boolean {
  switch (kind) {
    case 'boolean':
    case 'string':
    case 'function':
      return typeof value === kind;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'object':
      return isPlainObject(value);
    case 'array':
      return Array.isArray(value);
    case 'shape':
      return Array.isArray(value) && value.every((d) => d === null || Number.isInteger(d));
    case 'stringOrObject':
      return typeof value === 'string' || isPlainObject(value);
    case 'any':
      return true;
  }
}

const KIND_TEXT: Record<Exclude<OptionKind, NestedKind>, string> = {
  boolean: 'true or false',
  string: 'a string',
  number: 'a finite number',
  integer: 'a whole number',
  function: 'a function',
  object: 'an object',
  array: 'an array',
  shape: 'an array of whole numbers (or null for any length)',
  stringOrObject: 'a name or an object',
  any: 'anything',
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The known key nearest to `key`, if near enough to be a slip (≤ 1 edit in 3 characters, at least 2). */
export function nearestName(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const name of known) {
    const d = editDistance(key, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

/**
 * Throws an OptionError unless `options` (named `what` in the message, e.g. 'lstm') is a plain
 * object whose every key is in `schema` and whose every defined value is of the key's kind.
 * `undefined` options pass when `optional`.
 */
export function checkOptions<T>(what: string, options: unknown, schema: OptionSchema<T>, optional = false): void {
  if (options === undefined && optional) return;
  if (!isPlainObject(options)) {
    throw new OptionError(`${what}: the options must be an object of named settings, got ${describeValue(options)}.`);
  }
  const known = Object.keys(schema);
  for (const [key, value] of Object.entries(options)) {
    const kind = (schema as Record<string, OptionKind | undefined>)[key];
    if (kind === undefined) {
      const near = nearestName(key, known);
      const hint = near ? `did you mean '${near}'?` : `the options are ${known.join(', ')}.`;
      throw new OptionError(`${what}: unknown option '${key}': ${hint}`);
    }
    if (value === undefined) continue;
    if (typeof kind === 'object') checkOptions(`${what}: ${key}`, value, kind.nested);
    else if (!matches(kind, value)) throw new OptionError(`${what}: ${key} must be ${KIND_TEXT[kind]}, got ${describeValue(value)}.`);
  }
}
