/** The email channel's entry in the registry (channels/index.ts). Off unless configured. */
import { defineConnector } from '../contract.js';
import { EmailConfigSchema } from './config.js';
import { EmailConnector } from './connector.js';

export const email = defineConnector({
  kind: 'email',
  config: EmailConfigSchema,
  enabledByDefault: false,
  // Mailbox passwords (imap.password, smtp.password): redacted wherever config is printed or logged.
  secrets: ['password'],
  // Mailboxes of kind "fax" are fax-to-email: the hub sends fax conversations' replies here too.
  alsoServes: ['fax'],
  create: (config) => new EmailConnector(config),
});
