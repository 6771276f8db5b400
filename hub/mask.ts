/**
 * Masks card numbers (13–19 digits, optionally grouped by spaces or dashes) to their last four, and
 * PRC resident ID numbers (17 digits + digit/X) to first 3 and last 4, wherever text is shown.
 */
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;
const PRC_ID = /\b\d{17}[\dXx]\b/g;

export function maskSensitive(text: string): string {
  return text
    .replace(PRC_ID, (m) => `${m.slice(0, 3)}***********${m.slice(-4)}`)
    .replace(CARD, (m) => {
      const digits = m.replace(/\D/g, '');
      if (digits.length < 13 || digits.length > 19) return m;
      return `**** **** **** ${digits.slice(-4)}`;
    });
}
