// Hash history: the hub serves dist/console as static files at /console/ with no SPA fallback,
// so deep links must not depend on the server. Routes with meta.auth render inside ConsoleShell (App.vue).
import { createRouter, createWebHashHistory } from 'vue-router';
import { useAuthStore } from './stores/auth';
import { hasInbox, homeFor } from './home';

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/LoginView.vue') },
    { path: '/supervisor', name: 'supervisor', component: () => import('./views/SupervisorView.vue'), meta: { auth: true, lead: true } },
    { path: '/marketing', name: 'marketing', component: () => import('./views/MarketingView.vue'), meta: { auth: true, marketing: true } },
    { path: '/canned', name: 'canned', component: () => import('./views/CannedView.vue'), meta: { auth: true } },
    { path: '/admin', name: 'admin', component: () => import('./views/AdminView.vue'), meta: { auth: true, admin: true } },
    // one record for the list and an open conversation, so opening one never remounts the inbox
    { path: '/:id([0-9a-zA-Z_-]+)?', name: 'inbox', component: () => import('./views/InboxView.vue'), meta: { auth: true } },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
});

router.beforeEach(async (to) => {
  const auth = useAuthStore();
  if (to.meta.auth && !(await auth.restore())) return { name: 'login', query: { next: to.fullPath } };
  const home = { name: homeFor(auth.user?.role) };
  // Each role has its own home: a page a role cannot use sends it there (marketing has no inbox).
  if (to.meta.auth && !to.meta.marketing && !hasInbox(auth.user?.role)) return home;
  if (to.meta.marketing && auth.user?.role !== 'marketing' && !auth.isSupervisor) return home;
  if (to.meta.lead && !auth.isSupervisor) return home;
  if (to.meta.admin && !auth.isAdmin) return home;
  if (to.name === 'login' && auth.token && (await auth.restore())) return home;
  return true;
});
