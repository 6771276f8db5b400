/**
 * One masking rule for the hub and the console: the console's implementation (agent-ui/src/mask.ts,
 * specified by agent-ui/src/mask.spec.ts) is the one the hub applies to what it shows agents. The
 * hub's own copy had drifted (it masked phone numbers such as +86 138 0013 8000).
 */
export { maskSensitive } from '../agent-ui/src/mask.js';
