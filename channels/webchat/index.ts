/** Web chat's entry in the registry (channels/index.ts). */
import { defineConnector } from '../contract.js';
import { WEBCHAT_ENV, WebchatConfigSchema } from './config.js';
import { WebchatConnector } from './connector.js';

export const webchat = defineConnector({
  kind: 'webchat',
  config: WebchatConfigSchema,
  enabledByDefault: true,
  env: WEBCHAT_ENV,
  // The widget runs on the bank's own site: its endpoints answer any origin (tokens travel in headers).
  publicPaths: ['/api/webchat/'],
  create: (config) => new WebchatConnector(config),
});
