import { defineStore } from 'pinia';
import { ref } from 'vue';

/** Socket state for the offline banner. `everConnected` keeps the banner away during the first connect. */
export const useConnectionStore = defineStore('connection', () => {
  const online = ref(false);
  const everConnected = ref(false);
  function setOnline(v: boolean) {
    online.value = v;
    if (v) everConnected.value = true;
  }
  /** A failed (re)connect attempt: show the banner even if we never got connected. */
  function markError() {
    online.value = false;
    everConnected.value = true;
  }
  return { online, everConnected, setOnline, markError };
});
