/**
 * An inline command's words, split as Redis splits them (sdssplitargs):
 * spaces separate words; "double quotes" take \n \r \t \b \a \\ \" and \xHH
 * escapes; 'single quotes' take \'. A closing quote must end the word.
 * Returns undefined for unbalanced quotes (Redis: a protocol error).
 */
const ESCAPES: Record<number, number> = { 0x6e: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x61: 7 };
const isSpace = (b: number) => b === 0x20 || (b >= 9 && b <= 13);
const hex = (b: number) => (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66);

export function splitInline(line: Uint8Array): Uint8Array[] | undefined {
  const words: Uint8Array[] = [];
  let i = 0;
  for (;;) {
    while (i < line.length && isSpace(line[i])) i++;
    if (i >= line.length) return words;
    const word: number[] = [];
    const end = readWord(line, i, word);
    if (end < 0) return undefined;
    words.push(Uint8Array.from(word));
    i = end;
  }
}

/** Reads one word from `at` into `out`; returns where it ended, or -1 for unbalanced quotes. */
function readWord(line: Uint8Array, at: number, out: number[]): number {
  let i = at;
  while (i < line.length && !isSpace(line[i])) {
    const q = line[i];
    if (q !== 0x22 && q !== 0x27) {
      out.push(line[i++]);
      continue;
    }
    i = q === 0x22 ? readDouble(line, i + 1, out) : readSingle(line, i + 1, out);
    // A closing quote must be followed by a space or the end of the line.
    if (i < 0 || (i < line.length && !isSpace(line[i]))) return -1;
  }
  return i;
}

function readDouble(line: Uint8Array, at: number, out: number[]): number {
  let i = at;
  while (i < line.length) {
    const b = line[i];
    if (b === 0x22) return i + 1;
    if (
      b === 0x5c && i + 3 < line.length && line[i + 1] === 0x78 && hex(line[i + 2]) &&
      hex(line[i + 3])
    ) {
      out.push(parseInt(String.fromCharCode(line[i + 2], line[i + 3]), 16));
      i += 4;
    } else if (b === 0x5c && i + 1 < line.length) {
      out.push(ESCAPES[line[i + 1]] ?? line[i + 1]);
      i += 2;
    } else {
      out.push(b);
      i++;
    }
  }
  return -1;
}

function readSingle(line: Uint8Array, at: number, out: number[]): number {
  let i = at;
  while (i < line.length) {
    const b = line[i];
    if (b === 0x27) return i + 1;
    if (b === 0x5c && line[i + 1] === 0x27) {
      out.push(0x27);
      i += 2;
    } else {
      out.push(b);
      i++;
    }
  }
  return -1;
}
