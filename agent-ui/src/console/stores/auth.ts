import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, tokenStore } from '../api';
import type { User } from '../../types';

export const useAuthStore = defineStore('auth', () => {
  const user = ref<User | null>(null);
  const token = ref<string | null>(tokenStore.get());
  const isSupervisor = computed(() => user.value?.role === 'supervisor' || user.value?.role === 'admin');
  const isAdmin = computed(() => user.value?.role === 'admin');

  async function login(username: string, password: string) {
    const res = await api.login(username, password);
    tokenStore.set(res.token);
    token.value = res.token;
    user.value = res.user;
  }
  /** Restores the session from a stored token; false when there is none or it expired. */
  async function restore(): Promise<boolean> {
    if (!token.value) return false;
    if (user.value) return true;
    try {
      user.value = (await api.me()).user;
      return true;
    } catch {
      logout();
      return false;
    }
  }
  /** Read the user again (an admin changed their queues): the inbox filters by what is stored now. */
  async function refresh(): Promise<void> {
    if (!token.value) return;
    try { user.value = (await api.me()).user; } catch { /* 401 signs out by itself; otherwise keep what we have */ }
  }
  function logout() {
    tokenStore.set(null);
    token.value = null;
    user.value = null;
  }
  return { user, token, isSupervisor, isAdmin, login, restore, refresh, logout };
});
