/**
 * An agent's fax → a mail to the email-to-fax gateway (`{number}@fax.example`): the document(s)
 * attached, the agent's text as the cover note, our message id in the subject as `[ref <id>]`
 * (gateways that answer with the subject only still name the fax: confirm.ts). The Message-ID is
 * derived from our message id as for e-mail, so a resend is the same mail and a confirmation that
 * threads to it finds the message by its external id.
 */
import { UnrecoverableSendError } from '../../../lib/errors.js';
import type { OutboundMessage } from '../../contract.js';
import type { OutboundMail } from '../sender.js';
import type { FaxSettings } from './config.js';

const FAX_TYPES = new Set(['application/pdf', 'image/tiff']);

/** The gateway address for a number (E.164, or digits with a leading +). */
export function gatewayAddress(gateway: string, number: string): string {
  const digits = number.replace(/\D/g, '');
  if (digits.length < 5 || digits.length > 15) throw new UnrecoverableSendError(`"${number.slice(0, 32)}" is not a fax number`);
  return gateway.replace('{number}', digits).replace('{e164}', `+${digits}`);
}

export function faxMail(out: OutboundMessage, s: Pick<FaxSettings, 'gateway'>): OutboundMail {
  const number = out.to ?? (typeof out.channelData.faxNumber === 'string' ? out.channelData.faxNumber : undefined);
  if (!number) throw new UnrecoverableSendError('no fax number for this customer');
  const docs = out.attachments.filter((a) => FAX_TYPES.has(a.contentType.toLowerCase()));
  if (!docs.length) throw new UnrecoverableSendError('a fax needs a document: attach a PDF or TIFF');
  return {
    id: out.message.id,
    to: gatewayAddress(s.gateway, number),
    subject: `Fax ${number} [ref ${out.message.id}]`,
    text: out.message.text || ' ',
    attachments: docs.map((a) => ({ name: a.name, contentType: a.contentType, stream: () => a.stream() })),
  };
}
