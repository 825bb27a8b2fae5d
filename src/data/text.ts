// Text to integer sequences on the CPU, with the semantics of Keras's
// `keras.preprocessing.text` (Tokenizer, text_to_word_sequence) and its JSON format, so a
// tokenizer fitted in Python loads here and one fitted here loads in Python.
import { RnnError, ShapeError } from '../spec/errors.js';
import { describe, mapToJson, orderedEntries } from './orderedJson.js';

/** Keras's default `filters`: ASCII punctuation except `'`, plus tab and newline. */
export const DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n';

export interface TextToWordSequenceOptions {
  /** Characters (code points) replaced by `split` before splitting. Default {@link DEFAULT_FILTERS}. */
  filters?: string;
  /** Lower-case the text first. Default true. */
  lower?: boolean;
  /** Separator; must not be empty. Default `' '`. */
  split?: string;
}

/**
 * Keras `text_to_word_sequence`: lower-case, replace every character of `filters` by `split`,
 * split on `split` and drop empty pieces.
 */
export function textToWordSequence(text: string, options: TextToWordSequenceOptions = {}): string[] {
  if (typeof text !== 'string') throw new ShapeError(`textToWordSequence: text must be a string, got ${describe(text)}.`);
  const split = options.split ?? ' ';
  checkSplit(split, 'textToWordSequence');
  const filters = options.filters ?? DEFAULT_FILTERS;
  if (typeof filters !== 'string') throw new ShapeError(`textToWordSequence: filters must be a string of characters, got ${describe(filters)}.`);
  return wordsOf(text, filterPattern(filters), options.lower ?? true, split);
}

export interface TokenizerOptions {
  /**
   * Keep only words of index < numWords, that is the numWords − 1 most frequent (index 0 is
   * reserved; with an OOV token it takes index 1 and counts among them). Applied when
   * converting, not when fitting: `wordIndex` always holds every word. Default: no limit.
   */
  numWords?: number | null;
  /** Characters removed (replaced by `split`) in word mode. Ignored at character level, as in Keras. */
  filters?: string;
  /** Lower-case texts (and pre-split tokens). Default true. */
  lower?: boolean;
  /** Word separator; must not be empty. Default `' '`. */
  split?: string;
  /** Every character (code point, after lower-casing, without filtering) is a token. Default false. */
  charLevel?: boolean;
  /** Token standing for unknown words: index 1, and unknown words map to it instead of being dropped. */
  oovToken?: string | null;
}

/** A text: a string, or a list of tokens already split (used as they are, only lower-cased). */
export type TextInput = string | readonly string[];

/** The JSON of Keras's `Tokenizer.to_json()`: maps are themselves JSON strings inside `config`. */
export interface TokenizerJSON {
  class_name: 'Tokenizer';
  config: {
    num_words: number | null;
    filters: string;
    lower: boolean;
    split: string;
    char_level: boolean;
    oov_token: string | null;
    document_count: number;
    word_counts: string;
    word_docs: string;
    /** Absent when the tokenizer was never fitted. */
    index_docs?: string;
    index_word?: string;
    word_index?: string;
  };
}

/**
 * Keras's `Tokenizer`: `fitOnTexts` counts words, indexes them by decreasing count (ties in
 * order of first appearance), index 0 reserved, the OOV token (if any) at index 1.
 *
 * One deliberate difference: if the OOV token itself occurs in the texts, Keras gives it a
 * second index and loses index 1; here it keeps index 1 and is not indexed again.
 */
export class Tokenizer {
  readonly numWords: number | null;
  readonly filters: string;
  readonly lower: boolean;
  readonly split: string;
  readonly charLevel: boolean;
  readonly oovToken: string | null;

  private counts = new Map<string, number>();
  private docs = new Map<string, number>();
  private index = new Map<string, number>();
  private words = new Map<number, string>();
  private documents = 0;
  private fitted = false;
  private readonly filterPattern: RegExp | undefined;

  constructor(options: TokenizerOptions = {}) {
    const numWords = options.numWords ?? null;
    if (numWords !== null && !(Number.isInteger(numWords) && numWords >= 1)) {
      throw new ShapeError(`Tokenizer: numWords must be a whole number ≥ 1 or left out for no limit, got ${numWords}.`);
    }
    const split = options.split ?? ' ';
    checkSplit(split, 'Tokenizer');
    const filters = options.filters ?? DEFAULT_FILTERS;
    if (typeof filters !== 'string') throw new ShapeError(`Tokenizer: filters must be a string of characters, got ${describe(filters)}.`);
    const oovToken = options.oovToken ?? null;
    if (oovToken !== null && typeof oovToken !== 'string') throw new ShapeError(`Tokenizer: oovToken must be a string, got ${describe(oovToken)}.`);
    for (const [name, v] of [
      ['lower', options.lower],
      ['charLevel', options.charLevel],
    ] as const) {
      if (v !== undefined && typeof v !== 'boolean') throw new ShapeError(`Tokenizer: ${name} must be true or false, got ${describe(v)}.`);
    }
    this.numWords = numWords;
    this.filters = filters;
    this.lower = options.lower ?? true;
    this.split = split;
    this.charLevel = options.charLevel ?? false;
    this.oovToken = oovToken;
    this.filterPattern = filterPattern(filters);
  }

  /** word → index (1-based; 0 is reserved for padding). Every word seen, whatever `numWords`. */
  get wordIndex(): ReadonlyMap<string, number> {
    return this.index;
  }

  /** index → word, the inverse of `wordIndex`. */
  get indexWord(): ReadonlyMap<number, string> {
    return this.words;
  }

  /** word → number of occurrences over all fitted texts, in order of first appearance. */
  get wordCounts(): ReadonlyMap<string, number> {
    return this.counts;
  }

  /** word → number of fitted texts it occurs in. */
  get wordDocs(): ReadonlyMap<string, number> {
    return this.docs;
  }

  /** Number of texts fitted so far. */
  get documentCount(): number {
    return this.documents;
  }

  /** Adds the texts' words to the counts and rebuilds the index. May be called again with more texts. */
  fitOnTexts(texts: Iterable<TextInput>): void {
    for (const text of checkTexts(texts, 'fitOnTexts')) {
      const tokens = this.tokensOf(text, 'fitOnTexts');
      this.documents++;
      for (const w of tokens) this.counts.set(w, (this.counts.get(w) ?? 0) + 1);
      for (const w of new Set(tokens)) this.docs.set(w, (this.docs.get(w) ?? 0) + 1);
    }
    // Array.prototype.sort is stable: equal counts keep the order of first appearance, as
    // Python's sort(reverse=True) does.
    const byCount = [...this.counts].sort((a, b) => b[1] - a[1]);
    this.index = new Map();
    if (this.oovToken !== null) this.index.set(this.oovToken, 1);
    for (const [w] of byCount) if (!this.index.has(w)) this.index.set(w, this.index.size + 1);
    this.words = new Map([...this.index].map(([w, i]) => [i, w]));
    this.fitted = true;
  }

  /**
   * Each text as word indices. Unknown words, and words of index ≥ numWords, become the OOV
   * index if there is an OOV token and are dropped otherwise.
   */
  textsToSequences(texts: Iterable<TextInput>): number[][] {
    this.assertFitted('textsToSequences');
    const oov = this.oovToken === null ? undefined : this.index.get(this.oovToken);
    const out: number[][] = [];
    for (const text of checkTexts(texts, 'textsToSequences')) {
      const seq: number[] = [];
      for (const w of this.tokensOf(text, 'textsToSequences')) {
        const i = this.index.get(w);
        const kept = i !== undefined && (this.numWords === null || i < this.numWords) ? i : oov;
        if (kept !== undefined) seq.push(kept);
      }
      out.push(seq);
    }
    return out;
  }

  /**
   * Each sequence back to text, tokens joined by a space (also at character level, as in
   * Keras). Indices that are unknown — padding 0 included — or ≥ numWords become the OOV token
   * if there is one and are dropped otherwise.
   */
  sequencesToTexts(sequences: Iterable<ArrayLike<number>>): string[] {
    this.assertFitted('sequencesToTexts');
    if (sequences === null || typeof sequences !== 'object' || !(Symbol.iterator in sequences)) {
      throw new ShapeError(`sequencesToTexts: sequences must be an array of index arrays, got ${describe(sequences)}.`);
    }
    const oov = this.oovToken === null ? undefined : this.words.get(this.index.get(this.oovToken) ?? -1);
    const out: string[] = [];
    let s = 0;
    for (const seq of sequences) {
      if (seq === null || typeof seq !== 'object' || typeof seq.length !== 'number') {
        throw new ShapeError(`sequencesToTexts: sequence ${s} must be an array of indices, got ${describe(seq)}.`);
      }
      const tokens: string[] = [];
      for (let k = 0; k < seq.length; k++) {
        const i = seq[k];
        if (typeof i !== 'number') throw new ShapeError(`sequencesToTexts: sequence ${s} holds ${describe(i)} at ${k}; indices are numbers.`);
        const w = this.words.get(i);
        const kept = w !== undefined && (this.numWords === null || i < this.numWords) ? w : oov;
        if (kept !== undefined) tokens.push(kept);
      }
      out.push(tokens.join(' '));
      s++;
    }
    return out;
  }

  /** Keras's `to_json()` layout; `JSON.stringify(tokenizer)` gives a string Keras's `tokenizer_from_json` reads. */
  toJSON(): TokenizerJSON {
    const config: TokenizerJSON['config'] = {
      num_words: this.numWords,
      filters: this.filters,
      lower: this.lower,
      split: this.split,
      char_level: this.charLevel,
      oov_token: this.oovToken,
      document_count: this.documents,
      word_counts: mapToJson(this.counts),
      word_docs: mapToJson(this.docs),
    };
    if (this.fitted) {
      const indexDocs = new Map<number, number>();
      for (const [w, c] of this.docs) {
        const i = this.index.get(w);
        if (i !== undefined) indexDocs.set(i, c);
      }
      config.index_docs = mapToJson(indexDocs);
      config.index_word = mapToJson(this.words);
      config.word_index = mapToJson(this.index);
    }
    return { class_name: 'Tokenizer', config };
  }

  /**
   * A tokenizer from `toJSON()` output or Keras's `tokenizer.to_json()`, as a string or parsed.
   * The word index is restored as saved, not recomputed.
   */
  static fromJSON(json: string | TokenizerJSON): Tokenizer {
    let parsed: unknown = json;
    if (typeof json === 'string') {
      try {
        parsed = JSON.parse(json);
      } catch (e) {
        throw new ShapeError(`Tokenizer.fromJSON: not valid JSON (${(e as Error).message}).`);
      }
    }
    const root = parsed as Partial<TokenizerJSON> | null;
    if (root === null || typeof root !== 'object' || root.class_name !== 'Tokenizer' || root.config === null || typeof root.config !== 'object') {
      throw new ShapeError(`Tokenizer.fromJSON: expected {"class_name": "Tokenizer", "config": {...}} as written by toJSON() or Keras's to_json().`);
    }
    const c = root.config;
    const t = new Tokenizer({
      numWords: c.num_words,
      filters: c.filters,
      lower: c.lower,
      split: c.split,
      charLevel: c.char_level,
      oovToken: c.oov_token,
    });
    const documents = c.document_count ?? 0;
    if (!(Number.isInteger(documents) && documents >= 0))
      throw new ShapeError(`Tokenizer.fromJSON: document_count must be a whole number ≥ 0, got ${documents}.`);
    t.documents = documents;
    t.counts = new Map(orderedEntries(c.word_counts, 'word_counts', true));
    t.docs = new Map(orderedEntries(c.word_docs, 'word_docs', true));
    if (c.word_index !== undefined) {
      t.index = new Map(orderedEntries(c.word_index, 'word_index', false));
      t.words = new Map();
      if (c.index_word !== undefined) {
        for (const [k, w] of orderedEntries(c.index_word, 'index_word', false)) {
          const i = Number(k);
          if (!(Number.isInteger(i) && i >= 1))
            throw new ShapeError(`Tokenizer.fromJSON: index_word holds ${JSON.stringify(k)}: ${JSON.stringify(w)}; expected index → word.`);
          t.words.set(i, w);
        }
      } else {
        for (const [w, i] of t.index) t.words.set(i, w);
      }
      t.fitted = true;
    }
    return t;
  }

  private tokensOf(text: TextInput, where: string): string[] {
    if (typeof text === 'string') {
      if (this.charLevel) return Array.from(this.lower ? text.toLowerCase() : text);
      return wordsOf(text, this.filterPattern, this.lower, this.split);
    }
    return text.map((w) => {
      if (typeof w !== 'string') throw new ShapeError(`${where}: a pre-split text holds ${describe(w)}; tokens are strings.`);
      return this.lower ? w.toLowerCase() : w;
    });
  }

  private assertFitted(where: string): void {
    if (!this.fitted) throw new RnnError(`${where}: the tokenizer has no vocabulary yet; call fitOnTexts(texts) first (or load one with Tokenizer.fromJSON).`);
  }
}

function wordsOf(text: string, filters: RegExp | undefined, lower: boolean, split: string): string[] {
  const source = lower ? text.toLowerCase() : text;
  // A replacement function, so that `$` in split is taken literally.
  const filtered = filters === undefined ? source : source.replace(filters, () => split);
  return filtered.split(split).filter((w) => w.length > 0);
}

/** A regular expression matching any one code point of `filters`; undefined if there are none. */
function filterPattern(filters: string): RegExp | undefined {
  const points = [...new Set(filters)].map((ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
  return points.length === 0 ? undefined : new RegExp(`[${points.join('')}]`, 'gu');
}

function checkSplit(split: unknown, where: string): void {
  if (typeof split !== 'string' || split.length === 0) throw new ShapeError(`${where}: split must be a non-empty string, got ${describe(split)}.`);
}

/** The texts as an array, rejecting a bare string (which would be fitted character by character). */
function checkTexts(texts: Iterable<TextInput>, where: string): TextInput[] {
  if (typeof texts === 'string') {
    throw new ShapeError(`${where}: texts must be an array of texts, got a single string; wrap it: [text].`);
  }
  if (texts === null || typeof texts !== 'object' || !(Symbol.iterator in texts)) {
    throw new ShapeError(`${where}: texts must be an array of strings (or of token arrays), got ${describe(texts)}.`);
  }
  const list = [...texts];
  list.forEach((t, i) => {
    if (typeof t !== 'string' && !Array.isArray(t)) throw new ShapeError(`${where}: text ${i} is ${describe(t)}; expected a string or an array of tokens.`);
  });
  return list;
}
