/** The SMS connector's entry in the registry (channels/index.ts). */
import { defineConnector } from '../contract.js';
import { SmsConfigSchema } from './config.js';
import { SmsConnector } from './connector.js';

export const sms = defineConnector({
  kind: 'sms',
  config: SmsConfigSchema,
  // Nothing to do without accounts; on when the config section lists some.
  enabledByDefault: false,
  env: { CCHUB_SMS_ENABLED: 'enabled' },
  secrets: ['password'],
  create: (config) => new SmsConnector(config),
});
