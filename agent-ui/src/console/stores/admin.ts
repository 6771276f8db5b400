// Administration data (users, teams, queues) for the admin view. Each list loads on its own, so a
// failing one shows its error without hiding the others; saves replace the row with the hub's answer.
import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import { api } from '../api';
import type { AdminQueue, AdminQueueBody, AdminTeam, AdminUser, AdminUserCreate, AdminUserPatch, Capacity } from '../../types';

export type ListState = 'idle' | 'loading' | 'ready' | 'error';
type Section = 'users' | 'teams' | 'queues';

const byId = <T extends { id: string }>(rows: T[], row: T, sort: (a: T, b: T) => number): T[] => {
  const next = rows.filter((r) => r.id !== row.id);
  next.push(row);
  return next.sort(sort);
};

export const useAdminStore = defineStore('admin', () => {
  const users = ref<AdminUser[]>([]);
  const teams = ref<AdminTeam[]>([]);
  /** The hub's capacity per channel where neither the user nor the team says. */
  const defaults = ref<Capacity>({});
  const queues = ref<AdminQueue[]>([]);
  const state = reactive<Record<Section, ListState>>({ users: 'idle', teams: 'idle', queues: 'idle' });
  const error = reactive<Record<Section, string>>({ users: '', teams: '', queues: '' });

  async function load(section: Section, fn: () => Promise<void>) {
    // a reload keeps the rows on screen; only the first load shows "loading"
    if (state[section] !== 'ready') state[section] = 'loading';
    try {
      await fn();
      state[section] = 'ready';
      error[section] = '';
    } catch (e) {
      state[section] = 'error';
      error[section] = (e as Error).message;
    }
  }
  const loadUsers = () => load('users', async () => { users.value = (await api.adminUsers()).users; });
  const loadTeams = () => load('teams', async () => {
    const r = await api.adminTeams();
    teams.value = r.teams;
    defaults.value = r.defaults;
  });
  const loadQueues = () => load('queues', async () => { queues.value = (await api.adminQueues()).queues.sort((a, b) => a.id.localeCompare(b.id)); });
  /** Every section needs the others (team and queue pickers, the capacity a team passes on). */
  const loadAll = () => Promise.all([loadUsers(), loadTeams(), loadQueues()]);

  const byUsername = (a: AdminUser, b: AdminUser) => a.username.localeCompare(b.username);
  const byKey = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

  async function createUser(body: AdminUserCreate): Promise<AdminUser> {
    const { user } = await api.createUser(body);
    users.value = byId(users.value, user, byUsername);
    return user;
  }
  async function updateUser(id: string, patch: AdminUserPatch): Promise<AdminUser> {
    const { user } = await api.updateUser(id, patch);
    users.value = byId(users.value, user, byUsername);
    return user;
  }
  async function saveTeam(id: string, body: { name: string; capacity: Capacity }): Promise<AdminTeam> {
    const { team } = await api.saveTeam(id, body);
    teams.value = byId(teams.value, team, byKey);
    return team;
  }
  async function deleteTeam(id: string): Promise<void> {
    await api.deleteTeam(id);
    teams.value = teams.value.filter((t) => t.id !== id);
  }
  async function saveQueue(id: string, body: AdminQueueBody): Promise<AdminQueue> {
    const { queue } = await api.saveQueue(id, body);
    queues.value = byId(queues.value, queue, byKey);
    return queue;
  }

  async function setQueueEnabled(id: string, enabled: boolean): Promise<AdminQueue> {
    const { queue } = await api.setQueueEnabled(id, enabled);
    queues.value = byId(queues.value, queue, byKey);
    return queue;
  }
  async function deleteQueue(id: string): Promise<void> {
    await api.deleteQueue(id);
    queues.value = queues.value.filter((q) => q.id !== id);
    // Its members lost it: the users table reads them again.
    await loadUsers();
  }

  return { users, teams, defaults, queues, state, error, loadUsers, loadTeams, loadQueues, loadAll, createUser, updateUser, saveTeam, deleteTeam, saveQueue, setQueueEnabled, deleteQueue };
});
