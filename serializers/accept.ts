/**
 * CherryPy's `cptools.accept`, which salt-api uses to pick the response format, ported with its
 * quirks: media ranges sorted by q-value descending and, on equal q, by their full text in
 * descending order (so `application/json, application/x-yaml` picks YAML); media types compared
 * case-sensitively; a q-value Python's float() cannot read is a 400.
 */

import { Errors } from '../src/errors.js';

/** One element of the Accept header (CherryPy `AcceptElement`). */
interface MediaRange {
  readonly value: string;
  readonly q: number;
  /** `str(element)`: value plus `;name=value` for each parameter, q included; the tie-breaker. */
  readonly text: string;
}

/**
 * `;` splits outside double quotes, like the stdlib `_parseparam` CherryPy borrows (a quote
 * preceded by a backslash does not count). One pass, so a long hostile header stays cheap.
 */
function splitParameters(line: string): string[] {
  const parts: string[] = [];
  let rest = line;
  while (rest.startsWith(';')) {
    rest = rest.slice(1);
    let end = rest.length;
    let inQuotes = false;
    for (let i = 0; i < rest.length; i++) {
      const char = rest[i];
      if (char === '"' && rest[i - 1] !== '\\') inQuotes = !inQuotes;
      else if (char === ';' && !inQuotes) {
        end = i;
        break;
      }
    }
    parts.push(rest.slice(0, end).trim());
    rest = rest.slice(end);
  }
  return parts;
}

/** `parse_header`: `token;key=val` → token and parameters (names lower-cased, quotes removed). */
function parseHeaderElement(element: string): { value: string; params: Map<string, string> } {
  const [value = '', ...rest] = splitParameters(';' + element);
  const params = new Map<string, string>();
  for (const part of rest) {
    const equals = part.indexOf('=');
    if (equals < 0) continue;
    let paramValue = part.slice(equals + 1).trim();
    if (paramValue.length >= 2 && paramValue.startsWith('"') && paramValue.endsWith('"')) {
      paramValue = paramValue.slice(1, -1).replaceAll('\\\\', '\\').replaceAll('\\"', '"');
    }
    params.set(part.slice(0, equals).trim().toLowerCase(), paramValue);
  }
  return { value, params };
}

function elementText({ value, params }: { value: string; params: Map<string, string> }): string {
  let text = value;
  for (const [name, paramValue] of params) text += `;${name}=${paramValue}`;
  return text;
}

const DIGITS = '[0-9](?:_?[0-9])*';
const PYTHON_DECIMAL = new RegExp(`^[-+]?(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:e[-+]?${DIGITS})?$`);

/** Python's float() of a q-value (underscores, `inf`, `nan` and all); undefined for text it rejects. */
function pythonFloat(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (PYTHON_DECIMAL.test(trimmed)) return Number(trimmed.replaceAll('_', ''));
  if (/^[-+]?(?:inf|infinity)$/.test(trimmed)) return trimmed.startsWith('-') ? -Infinity : Infinity;
  if (/^[-+]?nan$/.test(trimmed)) return Number.NaN;
  return undefined;
}

const Q_SEPARATOR = /; *q *=/;

function parseMediaRange(element: string): MediaRange {
  // The first `;q=` separates the media range's own parameters from the accept-params.
  const separator = Q_SEPARATOR.exec(element);
  const mediaRange = separator === null ? element : element.slice(0, separator.index);
  const parsed = parseHeaderElement(mediaRange.trim());
  let qText = parsed.params.get('q') ?? '1';
  if (separator !== null) {
    const qElement = parseHeaderElement(element.slice(separator.index + separator[0].length).trim());
    qText = qElement.value;
    parsed.params.set('q', elementText(qElement));
  }
  const text = elementText(parsed);
  const q = pythonFloat(qText);
  if (q === undefined) throw Errors.BadRequest(`Malformed HTTP header: \`${text}\``);
  return { value: parsed.value, q, text };
}

/** Commas split elements unless inside quotes: CherryPy's `,(?=(?:[^"]*"[^"]*")*[^"]*$)`. */
function splitElements(header: string): string[] {
  let quotesLeft = 0;
  for (const char of header) if (char === '"') quotesLeft++;
  const elements: string[] = [];
  let start = 0;
  for (let i = 0; i < header.length; i++) {
    const char = header[i];
    if (char === '"') quotesLeft--;
    else if (char === ',' && quotesLeft % 2 === 0) {
      elements.push(header.slice(start, i));
      start = i + 1;
    }
  }
  elements.push(header.slice(start));
  return elements;
}

function byPreference(a: MediaRange, b: MediaRange): number {
  if (a.q !== b.q) return b.q - a.q;
  if (a.text === b.text) return 0;
  return a.text < b.text ? 1 : -1;
}

/**
 * The media type CherryPy would answer with, out of `offered` (in preference order), or
 * undefined when nothing is acceptable. A missing or empty header accepts the first offer.
 */
export function chooseMediaType(header: string | undefined, offered: readonly string[]): string | undefined {
  if (header === undefined || header === '') return offered[0];
  const ranges = splitElements(header).map(parseMediaRange).sort(byPreference);
  for (const range of ranges) {
    if (!(range.q > 0)) continue;
    if (range.value === '*/*') return offered[0];
    if (range.value.endsWith('/*')) {
      const major = range.value.slice(0, -1);
      const match = offered.find((type) => type.startsWith(major));
      if (match !== undefined) return match;
    } else if (offered.includes(range.value)) {
      return range.value;
    }
  }
  return undefined;
}
