// Hash history: the hub serves dist/console as static files at /console/ with no SPA fallback,
// so deep links must not depend on the server. Routes with meta.auth render inside ConsoleShell (App.vue).
import { createRouter, createWebHashHistory } from 'vue-router';
import { useAuthStore } from './stores/auth';

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/LoginView.vue') },
    { path: '/supervisor', name: 'supervisor', component: () => import('./views/SupervisorView.vue'), meta: { auth: true, lead: true } },
    { path: '/admin', name: 'admin', component: () => import('./views/AdminView.vue'), meta: { auth: true, admin: true } },
    // one record for the list and an open conversation, so opening one never remounts the inbox
    { path: '/:id([0-9a-zA-Z_-]+)?', name: 'inbox', component: () => import('./views/InboxView.vue'), meta: { auth: true } },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
});

router.beforeEach(async (to) => {
  const auth = useAuthStore();
  if (to.meta.auth && !(await auth.restore())) return { name: 'login', query: { next: to.fullPath } };
  if (to.meta.lead && !auth.isSupervisor) return { name: 'inbox' };
  if (to.meta.admin && !auth.isAdmin) return { name: 'inbox' };
  if (to.name === 'login' && auth.token && (await auth.restore())) return { name: 'inbox' };
  return true;
});
