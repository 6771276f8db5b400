/** Card and ID number masking: the one implementation shared with the console (shared/mask.ts). */
export { maskSensitive, luhnValid, prcIdValid } from '../shared/mask.js';
