import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { router } from './router';
import { i18n, initialLocale, setLocale } from './i18n';
import { setUnauthorizedHandler } from './api';
import { useAuthStore } from './stores/auth';
import { disconnectRealtime } from '../realtime';
import './styles.css';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia).use(i18n).use(router);
setLocale(initialLocale());
setUnauthorizedHandler(() => {
  disconnectRealtime();
  useAuthStore(pinia).logout();
  void router.replace({ name: 'login' });
});
app.mount('#app');
