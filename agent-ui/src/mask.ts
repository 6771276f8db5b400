// Masks card-like numbers and PRC resident ID numbers wherever customer text is shown
// (compliance: card and ID numbers must not be readable on an agent's screen).

/**
 * 13-19 contiguous digits, or card-style groups ("6222 0212 3456 7890", "3782-822463-10005"):
 * a first group of 4 then groups of 4-6 separated by one space or dash. Phone-style groupings
 * ("+86 138 0013 8000") are deliberately not matched; the digit total is checked in maskRun.
 */
const CARD = /(?<![\dA-Za-z+])(?:\d{13,19}|\d{4}(?:[ -]\d{4,6}){2,4})(?![\dA-Za-z])/g;
/** 18-character resident ID: 17 digits + digit or X. Checked before cards (it is 18 chars too). */
const PRC_ID = /(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])/g;

function maskRun(run: string, keep: number): string {
  const digits = run.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19) return run;
  return '*'.repeat(digits.length - keep) + digits.slice(-keep);
}

export function maskSensitive(text: string | null | undefined): string {
  if (!text) return '';
  return text
    .replace(PRC_ID, (m) => m.slice(0, 1) + '*'.repeat(13) + m.slice(-4))
    .replace(CARD, (m) => maskRun(m, 4));
}
