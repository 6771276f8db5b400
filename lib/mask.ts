/**
 * Card and PRC resident ID numbers masked out of customer text: the one implementation, used by the hub
 * when a message is stored (so no API or socket ever carries them in full) and by the console on
 * whatever it renders. Pure TypeScript without imports, so both the hub (Node) and the console (Vite)
 * import this same file.
 *
 * A number is found the way a person writes it: digits (ASCII or full-width ０-９) in groups joined by
 * spaces, dots, slashes or dashes (any of them, full-width too), glued to letters or not. A run of
 * groups is masked only when it checks out:
 * - a payment card: 13-19 digits passing the Luhn check;
 * - a PRC resident ID: 17 digits and a check character (0-9 or X) matching ISO 7064 MOD 11-2.
 * Anything else (amounts, dates, order numbers that fail the check, phone numbers) stays as written. A
 * run that begins with '+' is a phone number in international form ("+86 138 0013 8000") and is never
 * a card. Every digit but the last four becomes '*', separators and the rest of the text are kept.
 */

const FULLWIDTH_ZERO = 0xff10;
/** One digit (ASCII or full-width), the ID's check character X, and the separators allowed between groups. */
const DIGIT = '[0-9\\uFF10-\\uFF19]';
const SEP = '[ \\u00A0\\u3000./\\-\\u2010-\\u2015\\uFF0D\\uFF0E\\uFF0F]';
/** Groups of digits joined by at most three separator characters; the last may end in X (an ID's check character). */
const RUN = new RegExp(`\\+?${DIGIT}+(?:${SEP}{1,3}${DIGIT}+)*[Xx\\uFF38\\uFF58]?`, 'g');

/** A character's digit value (ASCII or full-width), 10 for the check character X, -1 otherwise. */
function value(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= FULLWIDTH_ZERO && code <= FULLWIDTH_ZERO + 9) return code - FULLWIDTH_ZERO;
  if (code === 88 || code === 120 || code === 0xff38 || code === 0xff58) return 10;
  return -1;
}

export function luhnValid(digits: number[]): boolean {
  if (digits.some((d) => d > 9)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits[digits.length - 1 - i];
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';
/** 17 digits and the check value (10 for X). */
export function prcIdValid(first17: number[], check: number): boolean {
  if (first17.length !== 17 || first17.some((d) => d > 9)) return false;
  const sum = first17.reduce((s, d, i) => s + d * ID_WEIGHTS[i], 0);
  const want = ID_CHECK[sum % 11];
  return (want === 'X' ? 10 : Number(want)) === check;
}

/**
 * The spans (start, end indexes into `run`, end exclusive) of the cards and IDs inside one run of digit
 * groups. Groups are tried from the left, the longest valid stretch of whole groups kept, so two numbers
 * written one after the other ("4111 1111 1111 1111 / 11010519491231002X") are both found.
 */
function findInRun(run: string): [number, number][] {
  // Every digit (and a trailing X, the ID's check character) with its position; groups as index ranges into it.
  const vals: number[] = [];
  const pos: number[] = [];
  const groups: [number, number][] = []; // [first, last + 1) into vals
  let inGroup = false;
  for (let i = 0; i < run.length; i++) {
    const v = value(run.charCodeAt(i));
    if (v < 0) {
      inGroup = false;
      continue;
    }
    // X only ends the run (RUN puts it there): a group of its own, so a card before it can still match.
    if (v === 10 || !inGroup) groups.push([vals.length, vals.length]);
    inGroup = v !== 10;
    vals.push(v);
    pos.push(i);
    groups[groups.length - 1][1] = vals.length;
  }
  const valid = (from: number, to: number): boolean => {
    const n = to - from;
    const x = vals[to - 1] === 10;
    if (n === 18 && prcIdValid(vals.slice(from, from + 17), vals[to - 1])) return true;
    return !x && n >= 13 && n <= 19 && luhnValid(vals.slice(from, to));
  };
  const found: [number, number][] = [];
  for (let a = 0; a < groups.length; ) {
    // Only stretches of at most 19 digits can be a number: linear in the text, however many groups it has.
    let hit = -1;
    for (let b = a; b < groups.length; b++) {
      const n = groups[b][1] - groups[a][0];
      if (n > 19) break;
      if (n >= 13 && valid(groups[a][0], groups[b][1])) hit = b;
    }
    if (hit < 0) {
      a++;
      continue;
    }
    found.push([pos[groups[a][0]], pos[groups[hit][1] - 1] + 1]);
    a = hit + 1;
  }
  return found;
}

/** Every digit of a span but the last four (the check X counts as one) as '*'. */
function maskSpan(span: string): string {
  const out = [...span];
  let keep = 4;
  for (let i = out.length - 1; i >= 0; i--) {
    if (value(out[i].charCodeAt(0)) < 0) continue;
    if (keep > 0) keep--;
    else out[i] = '*';
  }
  return out.join('');
}

export function maskSensitive(text: string | null | undefined): string {
  if (!text) return '';
  return text.replace(RUN, (run) => {
    if (run.startsWith('+')) return run; // a phone number in international form
    const spans = findInRun(run);
    if (!spans.length) return run;
    let out = '';
    let at = 0;
    for (const [s, e] of spans) {
      out += run.slice(at, s) + maskSpan(run.slice(s, e));
      at = e;
    }
    return out + run.slice(at);
  });
}
