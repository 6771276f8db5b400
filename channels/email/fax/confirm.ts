/**
 * The email-to-fax gateway's report on a fax we sent ("Fax to +86 10 8888 1234 delivered, 3 pages"
 * / "Fax failed: busy"). It comes from the gateway (confirmationFrom, by default the gateway
 * address's domain) and names our fax by one of: In-Reply-To / References (our Message-ID), the
 * Message-ID quoted in its text, or the `[ref <id>]` we put in the subject (outbound.ts), which
 * gateways that keep only the subject echo back. Failure words are checked before success words
 * ("not delivered" must not read as delivered).
 */
import type { ParsedMail } from '../parse.js';
import type { FaxSettings } from './config.js';

export interface FaxConfirmation {
  /** Undefined: a report on our fax that says neither (queued, retrying): set aside. */
  status?: 'delivered' | 'failed';
  detail: string;
  /** Our Message-ID for the fax (its externalId), or... */
  externalId?: string;
  /** ...our message id, from the subject's [ref <id>]. */
  ourMessageId?: string;
}

const REF = /\[ref ([0-9a-f]{24})\]/i;

export function gatewayDomain(gateway: string): string {
  return gateway.slice(gateway.lastIndexOf('@') + 1).toLowerCase();
}

export function confirmation(mail: Pick<ParsedMail, 'from' | 'subject' | 'text' | 'inReplyTo' | 'references'>, s: Pick<FaxSettings, 'gateway' | 'confirmationFrom' | 'failurePattern' | 'successPattern'>): FaxConfirmation | undefined {
  const from = mail.from?.address ?? '';
  const fromGateway = s.confirmationFrom ? new RegExp(s.confirmationFrom, 'i').test(from) : from.endsWith(`@${gatewayDomain(s.gateway)}`);
  if (!fromGateway) return undefined;
  const ours = (id: string | undefined) => (id && /\.cchub@/i.test(id) ? id : undefined);
  const externalId = ours(mail.inReplyTo) ?? [...mail.references].reverse().find((r) => ours(r)) ?? ours(/<([^<>\s]+\.cchub@[^<>\s]+)>/.exec(mail.text)?.[1]);
  const ourMessageId = REF.exec(mail.subject)?.[1] ?? REF.exec(mail.text)?.[1];
  if (!externalId && !ourMessageId) return undefined;
  const said = `${mail.subject}\n${mail.text.slice(0, 4000)}`;
  const failed = new RegExp(s.failurePattern, 'i').test(said);
  const delivered = !failed && new RegExp(s.successPattern, 'i').test(said);
  return { ...(failed ? { status: 'failed' as const } : delivered ? { status: 'delivered' as const } : {}), detail: mail.subject.slice(0, 300), ...(externalId ? { externalId } : { ourMessageId }) };
}
