import { getCurrentScope, onScopeDispose, ref } from 'vue';
/**
 * A shared clock ticking every second for countdowns and time-in-state, running only while some
 * component uses it (the 30 s `now` in now.ts is for relative times in the list).
 */
const second = ref(Date.now());
let users = 0;
let timer: ReturnType<typeof setInterval> | null = null;

export function useSecondClock() {
  if (users++ === 0) {
    second.value = Date.now();
    timer = setInterval(() => { second.value = Date.now(); }, 1000);
  }
  if (getCurrentScope()) {
    onScopeDispose(() => {
      if (--users === 0 && timer) { clearInterval(timer); timer = null; }
    });
  }
  return second;
}
