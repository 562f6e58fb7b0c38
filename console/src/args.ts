/**
 * The run form's arguments as on the salt command line: whitespace separates words, single or
 * double quotes group them (`"hello world"`, `name="a b"`). Words stay strings: the master and
 * minions type them and read `name=value` words as keyword arguments, as they do for the CLI.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  for (const char of line) {
    if (quote !== '') {
      if (char === quote) quote = '';
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** `name=value` as Salt's argument parser recognises it (not `==`). */
const KEYWORD = /^([A-Za-z_][\w.-]*)=(?!=)([\s\S]*)$/;

/** A word that is a keyword argument, split into its name and value. */
export function keyword(word: string): [string, string] | undefined {
  const match = KEYWORD.exec(word);
  return match ? [match[1] ?? '', match[2] ?? ''] : undefined;
}
