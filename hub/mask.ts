/** Card and ID number masking: the one implementation shared with the console (lib/mask.ts). */
export { maskSensitive, luhnValid, prcIdValid } from '../lib/mask.js';
