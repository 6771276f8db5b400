// Card and ID number masking: the hub's own implementation (lib/mask.ts), not a copy. The hub masks
// customer text when it is stored; the console masks again whatever it renders (older stored messages,
// names and addresses), with the same rules.
export { maskSensitive } from '../../lib/mask';
