import { ref } from 'vue';
/** One shared ticking clock for relative times (every 30 s), instead of a timer per row. */
export const now = ref(Date.now());
setInterval(() => { now.value = Date.now(); }, 30_000);
