// The response timer: how long the customer has been waiting for an answer, and how that compares with
// the queue's target (its service level seconds). Pure, so the rules are specified beside it.
import type { Message } from '../types';

/**
 * When the customer's oldest unanswered message arrived: the first customer message after the last
 * message an agent sent them (internal notes and system lines do not answer anyone). Null when the
 * last word was ours, or there is none.
 */
export function awaitingSince(messages: Pick<Message, 'direction' | 'author' | 'internal' | 'createdAt'>[]): string | null {
  let since: string | null = null;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.internal) continue;
    if (m.direction === 'out' && m.author.type === 'agent') break;
    if (m.direction === 'in') since = m.createdAt;
  }
  return since;
}

export type TimerLevel = 'ok' | 'warn' | 'over';
/** Green until three quarters of the target, amber until the target, red past it. */
export function timerLevel(waitedSec: number, targetSec: number): TimerLevel {
  if (waitedSec > targetSec) return 'over';
  return waitedSec >= targetSec * 0.75 ? 'warn' : 'ok';
}
