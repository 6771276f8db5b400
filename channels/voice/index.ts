/** The voice connector's entry in the registry (channels/index.ts): the `voice` section (config/voice.ts), off by default. */
import { VoiceConfigSchema } from '../../config/voice.js';
import { defineConnector } from '../contract.js';
import { VoiceConnector } from './connector.js';

export const voice = defineConnector({
  kind: 'voice',
  // The section's own `enabled` (default false) is the registry's switch: nothing listens on 5060 until it is on.
  config: VoiceConfigSchema,
  enabledByDefault: false,
  create: (config) => new VoiceConnector(config),
});
