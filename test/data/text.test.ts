// Tokenizer and textToWordSequence against expectations worked out by hand from Keras's
// keras_preprocessing/text.py (the indices of the TensorFlow course example are the ones
// Keras prints for it).
import { describe, expect, test } from 'vitest';
import { DEFAULT_FILTERS, textToWordSequence, Tokenizer, type TokenizerJSON } from '../../src/data/text.js';
import { padSequences } from '../../src/data/sequence.js';
import { RnnError, ShapeError } from '../../src/spec/errors.js';

const SENTENCES = ['I love my dog', 'I love my cat', 'You love my dog!', 'Do you think my dog is amazing?'];

describe('textToWordSequence', () => {
  test('lower-cases, replaces the default filters by the separator and drops empty pieces', () => {
    expect(textToWordSequence('Hello, World!  hello\tworld\n')).toEqual(['hello', 'world', 'hello', 'world']);
  });

  test('keeps the apostrophe, which the default filters leave out', () => {
    expect(textToWordSequence("Don't stop-me now...")).toEqual(["don't", 'stop', 'me', 'now']);
    expect(DEFAULT_FILTERS.includes("'")).toBe(false);
  });

  test('custom split, no filters, no lower-casing', () => {
    expect(textToWordSequence('A,b,,C', { split: ',', filters: '', lower: false })).toEqual(['A', 'b', 'C']);
  });

  test('filters that are special in regular expressions, or outside the BMP, and a split with $ are literal', () => {
    expect(textToWordSequence('a]b^c-d\\e[f')).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(textToWordSequence('x😀y', { filters: '😀' })).toEqual(['x', 'y']);
    expect(textToWordSequence('a,b', { split: '$&', filters: ',' })).toEqual(['a', 'b']);
  });

  test('an empty text gives no words', () => {
    expect(textToWordSequence('')).toEqual([]);
    expect(textToWordSequence(' ?! ')).toEqual([]);
  });

  test('an empty separator is refused', () => {
    expect(() => textToWordSequence('a b', { split: '' })).toThrow(ShapeError);
  });
});

describe('Tokenizer', () => {
  test('the TensorFlow course example: OOV at 1, then by decreasing count, ties in order of first appearance', () => {
    const t = new Tokenizer({ numWords: 100, oovToken: '<OOV>' });
    t.fitOnTexts(SENTENCES);
    expect(Object.fromEntries(t.wordIndex)).toEqual({
      '<OOV>': 1,
      my: 2,
      love: 3,
      dog: 4,
      i: 5,
      you: 6,
      cat: 7,
      do: 8,
      think: 9,
      is: 10,
      amazing: 11,
    });
    expect([...t.wordIndex.keys()]).toEqual(['<OOV>', 'my', 'love', 'dog', 'i', 'you', 'cat', 'do', 'think', 'is', 'amazing']);
    expect(t.indexWord.get(4)).toBe('dog');
    expect([...t.wordCounts]).toEqual([
      ['i', 2],
      ['love', 3],
      ['my', 4],
      ['dog', 3],
      ['cat', 1],
      ['you', 2],
      ['do', 1],
      ['think', 1],
      ['is', 1],
      ['amazing', 1],
    ]);
    expect(t.wordDocs.get('my')).toBe(4);
    expect(t.wordDocs.get('dog')).toBe(3);
    expect(t.documentCount).toBe(4);

    const sequences = t.textsToSequences(SENTENCES);
    expect(sequences).toEqual([
      [5, 3, 2, 4],
      [5, 3, 2, 7],
      [6, 3, 2, 4],
      [8, 6, 9, 2, 4, 10, 11],
    ]);
    expect(t.textsToSequences(['i really love my dog', 'my dog loves my manatee'])).toEqual([
      [5, 1, 3, 2, 4],
      [2, 4, 1, 2, 1],
    ]);
    expect(padSequences(sequences, { maxlen: 5 })).toEqual([
      [0, 5, 3, 2, 4],
      [0, 5, 3, 2, 7],
      [0, 6, 3, 2, 4],
      [9, 2, 4, 10, 11],
    ]);
  });

  test('without an OOV token, unknown words are dropped and the first word takes index 1', () => {
    const t = new Tokenizer();
    t.fitOnTexts(SENTENCES);
    expect(t.wordIndex.get('my')).toBe(1);
    expect(t.wordIndex.has('<OOV>')).toBe(false);
    expect(t.textsToSequences(['i really love my dog'])).toEqual([[4, 2, 1, 3]]);
  });

  test('numWords keeps indices < numWords: the numWords − 1 most frequent, the OOV token counting among them', () => {
    const plain = new Tokenizer({ numWords: 3 });
    plain.fitOnTexts(SENTENCES);
    expect(plain.wordIndex.size).toBe(10); // the index keeps every word; the limit applies when converting
    expect(plain.textsToSequences(['I love my dog'])).toEqual([[2, 1]]);

    const oov = new Tokenizer({ numWords: 3, oovToken: '<OOV>' });
    oov.fitOnTexts(SENTENCES);
    expect(oov.textsToSequences(['I love my dog'])).toEqual([[1, 1, 2, 1]]);
    expect(oov.sequencesToTexts([[2, 3, 4]])).toEqual(['my <OOV> <OOV>']);
    expect(plain.sequencesToTexts([[1, 2, 3]])).toEqual(['my love']);

    const one = new Tokenizer({ numWords: 1 });
    one.fitOnTexts(SENTENCES);
    expect(one.textsToSequences(['my dog'])).toEqual([[]]);
  });

  test('ties keep the order of first appearance, also across texts', () => {
    const t = new Tokenizer();
    t.fitOnTexts(['b a', 'a b c c']);
    expect([...t.wordIndex]).toEqual([
      ['b', 1],
      ['a', 2],
      ['c', 3],
    ]);
    const u = new Tokenizer();
    u.fitOnTexts(['x y', 'y']);
    expect([...u.wordIndex]).toEqual([
      ['y', 1],
      ['x', 2],
    ]);
  });

  test('fitting again adds to the counts and re-sorts', () => {
    const t = new Tokenizer();
    t.fitOnTexts(['a b b']);
    expect([...t.wordIndex]).toEqual([
      ['b', 1],
      ['a', 2],
    ]);
    t.fitOnTexts(['a a c']);
    expect([...t.wordIndex]).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(t.documentCount).toBe(2);
    expect(t.wordDocs.get('a')).toBe(2);
  });

  test('character level: every code point is a token, lower-cased, not filtered', () => {
    const t = new Tokenizer({ charLevel: true });
    t.fitOnTexts(['Hello!']);
    expect([...t.wordIndex]).toEqual([
      ['l', 1],
      ['h', 2],
      ['e', 3],
      ['o', 4],
      ['!', 5],
    ]);
    expect(t.textsToSequences(['HOLE?'])).toEqual([[2, 4, 1, 3]]);
    expect(t.sequencesToTexts([[2, 3, 1, 1, 4]])).toEqual(['h e l l o']); // joined by spaces, as Keras
    const u = new Tokenizer({ charLevel: true, lower: false, oovToken: '?' });
    u.fitOnTexts(['a😀a']);
    expect([...u.wordIndex]).toEqual([
      ['?', 1],
      ['a', 2],
      ['😀', 3],
    ]);
    expect(u.textsToSequences(['A😀'])).toEqual([[1, 3]]);
  });

  test('pre-split texts are used as tokens, only lower-cased', () => {
    const t = new Tokenizer();
    t.fitOnTexts([['Foo', 'bar.', 'foo']]);
    expect([...t.wordIndex]).toEqual([
      ['foo', 1],
      ['bar.', 2],
    ]);
    expect(t.textsToSequences([['FOO', 'bar.'], 'bar. foo'])).toEqual([[1, 2], [1]]); // 'bar.' filtered to 'bar', unknown
  });

  test('empty texts count as documents and give empty sequences', () => {
    const t = new Tokenizer({ oovToken: '<unk>' });
    t.fitOnTexts(['', '...']);
    expect(t.documentCount).toBe(2);
    expect([...t.wordIndex]).toEqual([['<unk>', 1]]);
    expect(t.textsToSequences(['', 'never seen'])).toEqual([[], [1, 1]]);
    expect(t.sequencesToTexts([[]])).toEqual(['']);
  });

  test('sequencesToTexts: unknown indices, padding 0 included, become the OOV token or are dropped', () => {
    const t = new Tokenizer({ oovToken: '<OOV>' });
    t.fitOnTexts(SENTENCES);
    expect(t.sequencesToTexts([[0, 5, 3, 2, 4, 99]])).toEqual(['<OOV> i love my dog <OOV>']);
    const u = new Tokenizer();
    u.fitOnTexts(SENTENCES);
    expect(u.sequencesToTexts([[0, 4, 2, 1, 3, 99], new Int32Array([1])])).toEqual(['i love my dog', 'my']);
  });

  test('the OOV token found in the texts keeps index 1 and is not indexed twice', () => {
    const t = new Tokenizer({ oovToken: 'unk', numWords: 3 });
    t.fitOnTexts(['unk unk unk a b']);
    expect([...t.wordIndex]).toEqual([
      ['unk', 1],
      ['a', 2],
      ['b', 3],
    ]);
    expect(t.wordCounts.get('unk')).toBe(3);
    expect(t.textsToSequences(['a b c unk'])).toEqual([[2, 1, 1, 1]]);
  });

  test('words that are names of Object properties are ordinary words', () => {
    const t = new Tokenizer({ filters: '' });
    t.fitOnTexts(['constructor __proto__ tostring constructor']);
    expect([...t.wordIndex]).toEqual([
      ['constructor', 1],
      ['__proto__', 2],
      ['tostring', 3],
    ]);
  });

  test('clear errors', () => {
    expect(() => new Tokenizer({ numWords: 0 })).toThrow(ShapeError);
    expect(() => new Tokenizer({ numWords: 2.5 })).toThrow(/numWords/);
    expect(() => new Tokenizer({ split: '' })).toThrow(/split/);
    expect(() => new Tokenizer({ lower: 'yes' as unknown as boolean })).toThrow(/lower must be true or false/);
    const t = new Tokenizer();
    expect(() => t.textsToSequences(['a'])).toThrow(RnnError);
    expect(() => t.textsToSequences(['a'])).toThrow(/fitOnTexts/);
    expect(() => t.sequencesToTexts([[1]])).toThrow(/fitOnTexts/);
    expect(() => t.fitOnTexts('one text' as unknown as string[])).toThrow(/wrap it/);
    expect(() => t.fitOnTexts([3 as unknown as string])).toThrow(/text 0/);
    expect(() => t.fitOnTexts([['a', 3 as unknown as string]])).toThrow(ShapeError);
    t.fitOnTexts(['a']);
    expect(() => t.sequencesToTexts([['a' as unknown as number]])).toThrow(ShapeError);
  });
});

describe('Tokenizer JSON', () => {
  test('a round trip restores options, counts in order and the index', () => {
    const t = new Tokenizer({ numWords: 5, oovToken: '<OOV>', lower: false, filters: '!', split: '|', charLevel: false });
    t.fitOnTexts(['Cat|dog!cat', 'dog|Dog']);
    const back = Tokenizer.fromJSON(JSON.stringify(t));
    expect(back.numWords).toBe(5);
    expect(back.oovToken).toBe('<OOV>');
    expect(back.lower).toBe(false);
    expect(back.filters).toBe('!');
    expect(back.split).toBe('|');
    expect(back.documentCount).toBe(2);
    expect([...back.wordIndex]).toEqual([...t.wordIndex]);
    expect([...back.indexWord]).toEqual([...t.indexWord]);
    expect([...back.wordCounts]).toEqual([...t.wordCounts]);
    expect([...back.wordDocs]).toEqual([...t.wordDocs]);
    expect(back.textsToSequences(['dog|cat|Cat|bird'])).toEqual(t.textsToSequences(['dog|cat|Cat|bird']));
  });

  test('words that look like integers keep their order, so fitting on after loading breaks ties as before', () => {
    const t = new Tokenizer();
    t.fitOnTexts(['42 apple 42 apple 7']);
    expect([...t.wordIndex]).toEqual([
      ['42', 1],
      ['apple', 2],
      ['7', 3],
    ]);
    const back = Tokenizer.fromJSON(JSON.stringify(t));
    expect([...back.wordCounts.keys()]).toEqual(['42', 'apple', '7']);
    back.fitOnTexts(['7']);
    t.fitOnTexts(['7']);
    expect([...back.wordIndex]).toEqual([
      ['42', 1],
      ['apple', 2],
      ['7', 3],
    ]);
    expect([...back.wordIndex]).toEqual([...t.wordIndex]);
  });

  test("reads Keras's to_json() output", () => {
    // Tokenizer(oov_token='<OOV>').fit_on_texts(['the cat', 'the dog']); tokenizer.to_json(), as Python writes it.
    const keras =
      '{"class_name": "Tokenizer", "config": {"num_words": null, "filters": "!\\"#$%&()*+,-./:;<=>?@[\\\\]^_`{|}~\\t\\n", ' +
      '"lower": true, "split": " ", "char_level": false, "oov_token": "<OOV>", "document_count": 2, ' +
      '"word_counts": "{\\"the\\": 2, \\"cat\\": 1, \\"dog\\": 1}", "word_docs": "{\\"the\\": 2, \\"cat\\": 1, \\"dog\\": 1}", ' +
      '"index_docs": "{\\"2\\": 2, \\"3\\": 1, \\"4\\": 1}", "index_word": "{\\"1\\": \\"<OOV>\\", \\"2\\": \\"the\\", \\"3\\": \\"cat\\", \\"4\\": \\"dog\\"}", ' +
      '"word_index": "{\\"<OOV>\\": 1, \\"the\\": 2, \\"cat\\": 3, \\"dog\\": 4}"}}';
    const t = Tokenizer.fromJSON(keras);
    expect(t.filters).toBe(DEFAULT_FILTERS);
    expect(t.numWords).toBe(null);
    expect([...t.wordIndex]).toEqual([
      ['<OOV>', 1],
      ['the', 2],
      ['cat', 3],
      ['dog', 4],
    ]);
    expect(t.indexWord.get(3)).toBe('cat');
    expect(t.textsToSequences(['The dog, the bird.'])).toEqual([[2, 4, 2, 1]]);
    // And what we write has the same keys, with the maps as JSON text.
    const ours = new Tokenizer({ oovToken: '<OOV>' });
    ours.fitOnTexts(['the cat', 'the dog']);
    const json = ours.toJSON();
    const k = (JSON.parse(keras) as TokenizerJSON).config;
    expect(Object.keys(json.config).sort()).toEqual(Object.keys(k).sort());
    for (const key of ['word_counts', 'index_docs', 'index_word', 'word_index'] as const) {
      expect(JSON.parse(json.config[key]!)).toEqual(JSON.parse(k[key]!));
    }
  });

  test('an unfitted tokenizer round-trips as unfitted', () => {
    const back = Tokenizer.fromJSON(new Tokenizer({ numWords: 10 }).toJSON());
    expect(back.numWords).toBe(10);
    expect(() => back.textsToSequences(['a'])).toThrow(/fitOnTexts/);
  });

  test('bad JSON is refused with a clear error', () => {
    expect(() => Tokenizer.fromJSON('{')).toThrow(/not valid JSON/);
    expect(() => Tokenizer.fromJSON('{"class_name": "Other", "config": {}}')).toThrow(/class_name/);
    const good = new Tokenizer();
    good.fitOnTexts(['a b']);
    const json = good.toJSON();
    expect(() => Tokenizer.fromJSON({ ...json, config: { ...json.config, word_index: '{"a": 0}' } })).toThrow(/word_index/);
    expect(() => Tokenizer.fromJSON({ ...json, config: { ...json.config, word_counts: '{"a": "x"}' } })).toThrow(/word_counts/);
    expect(() => Tokenizer.fromJSON({ ...json, config: { ...json.config, word_counts: '[1]' } })).toThrow(/word_counts/);
  });
});
