// Keras's tokenizer JSON maps (word_counts, word_index, …) read and written with their entries in
// order: JSON.parse moves integer-like keys first, and the order of word_counts decides ties.
import { ShapeError } from '../spec/errors.js';

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : `${typeof v} ${String(v)}`;
}

/** A flat JSON object with the map's entries in their order (integer keys written as strings, as Python's json does). */
export function mapToJson(map: ReadonlyMap<string | number, string | number>): string {
  const parts: string[] = [];
  for (const [k, v] of map) parts.push(`${JSON.stringify(String(k))}: ${JSON.stringify(v)}`);
  return `{${parts.join(', ')}}`;
}

/**
 * The entries of a flat JSON object in their written order. JSON.parse would move keys that
 * look like integers (a word "42") to the front, and the order of `word_counts` decides ties
 * when fitting continues; so the text is scanned.
 */
export function orderedEntries(value: unknown, what: 'word_counts' | 'word_docs' | 'word_index', counts: boolean): [string, number][];
export function orderedEntries(value: unknown, what: 'index_word', counts: false): [string, string][];
export function orderedEntries(value: unknown, what: string, counts: boolean): [string, number | string][] {
  const fail = (why: string): never => {
    throw new ShapeError(`Tokenizer.fromJSON: config.${what} ${why}.`);
  };
  let entries: [string, unknown][];
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (e) {
      return fail(`is not valid JSON (${(e as Error).message})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return fail('is not a JSON object');
    entries = scanFlatObject(value) ?? Object.entries(parsed);
  } else if (typeof value === 'object' && !Array.isArray(value)) {
    entries = Object.entries(value);
  } else {
    return fail(`must be a JSON object (or its text), got ${describe(value)}`);
  }
  for (const [k, v] of entries) {
    const ok = counts || what === 'word_index' ? typeof v === 'number' && Number.isInteger(v) && v >= (counts ? 0 : 1) : typeof v === 'string';
    if (!ok) fail(`holds ${JSON.stringify(k)}: ${JSON.stringify(v)}, which is not ${counts ? 'a count' : what === 'word_index' ? 'an index ≥ 1' : 'a word'}`);
  }
  return entries as [string, number | string][];
}

const STRING = /"(?:[^"\\]|\\.)*"/y;
const SCALAR = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"(?:[^"\\]|\\.)*"/y;
const SPACE = /\s*/y;

/** Key/value pairs of a flat JSON object of numbers or strings, in order; undefined if it is not that simple. */
function scanFlatObject(text: string): [string, unknown][] | undefined {
  let at = 0;
  const skip = () => {
    SPACE.lastIndex = at;
    SPACE.exec(text);
    at = SPACE.lastIndex;
  };
  const token = (re: RegExp): string | undefined => {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return undefined;
    at = re.lastIndex;
    return m[0];
  };
  const out: [string, unknown][] = [];
  skip();
  if (text[at++] !== '{') return undefined;
  skip();
  if (text[at] === '}') return out;
  for (;;) {
    skip();
    const key = token(STRING);
    if (key === undefined) return undefined;
    skip();
    if (text[at++] !== ':') return undefined;
    skip();
    const value = token(SCALAR);
    if (value === undefined) return undefined;
    out.push([JSON.parse(key) as string, JSON.parse(value)]);
    skip();
    const next = text[at++];
    if (next === '}') return out;
    if (next !== ',') return undefined;
  }
}
