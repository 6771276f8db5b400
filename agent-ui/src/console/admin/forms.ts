// Users and teams: the admin forms hold what the inputs show (strings, rows) and convert to the hub's
// API shapes only when sent, so an empty capacity means "inherit" and a half-typed skill row is not lost.
import type { AdminTeam, AdminUser, AdminUserCreate, AdminUserPatch, Capacity, Channel, Locale, Role } from '../../types';

export const CHANNELS: Channel[] = ['webchat', 'email', 'sms', 'voice', 'fax'];
export const ROLES: Role[] = ['agent', 'supervisor', 'marketing', 'admin'];

/**
 * What a number input holds: v-model on <input type=number> gives a number once something numeric is
 * typed, and the text ('' when empty) otherwise.
 */
export type NumField = string | number;
/** One input per channel; '' = not set here (inherited). */
export type CapacityForm = Record<Channel, NumField>;
export interface SkillRow { name: string; level: string }

/** A number typed into a form: '' → undefined; anything else goes to the hub as typed (it says what is wrong). */
export function num(s: NumField | undefined | null): number | undefined {
  if (s === undefined || s === null) return undefined;
  const t = String(s).trim();
  return t === '' ? undefined : Number(t);
}

export function capacityToForm(c: Capacity | undefined): CapacityForm {
  return Object.fromEntries(CHANNELS.map((ch) => [ch, c?.[ch] === undefined ? '' : String(c[ch])])) as CapacityForm;
}
export function capacityFromForm(f: CapacityForm): Capacity {
  const out: Capacity = {};
  for (const ch of CHANNELS) {
    const n = num(f[ch]);
    if (n !== undefined) out[ch] = n;
  }
  return out;
}
/** What a user gets where their own capacity says nothing: the team's, then the hub's defaults. */
export function inheritedCapacity(team: string | null, teams: AdminTeam[], defaults: Capacity): Capacity {
  const t = team ? teams.find((x) => x.id === team) : undefined;
  return { ...defaults, ...(t?.capacity ?? {}) };
}

export function skillsToRows(s: Record<string, number> | undefined): SkillRow[] {
  return Object.entries(s ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([name, level]) => ({ name, level: String(level) }));
}
/** Rows with no name are left out (an added row not filled in); an empty level goes as 5, the hub's level for an unrated skill. */
export function skillsFromRows(rows: SkillRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) {
    const name = r.name.trim();
    if (name) out[name] = num(r.level) ?? 5;
  }
  return out;
}
/** Names given twice (the second would silently replace the first). */
export function duplicateSkills(rows: SkillRow[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const r of rows) {
    const n = r.name.trim();
    if (!n) continue;
    if (seen.has(n)) dup.add(n);
    seen.add(n);
  }
  return [...dup];
}

export interface UserForm {
  username: string; name: string; role: Role; password: string; queues: string[]; team: string;
  locale: Locale; skills: SkillRow[]; capacity: CapacityForm;
}
export function userToForm(u: AdminUser | null, locale: Locale = 'zh'): UserForm {
  return {
    username: u?.username ?? '', name: u?.name ?? '', role: u?.role ?? 'agent', password: '',
    queues: u ? [...u.queues] : ['general'], team: u?.team ?? '', locale: u?.locale ?? locale,
    skills: skillsToRows(u?.skills), capacity: capacityToForm(u?.capacity),
  };
}
export function userCreateBody(f: UserForm): AdminUserCreate {
  return {
    username: f.username.trim(), name: f.name.trim(), role: f.role, password: f.password, queues: f.queues,
    skills: skillsFromRows(f.skills), capacity: capacityFromForm(f.capacity), team: f.team || null, locale: f.locale,
  };
}
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const sortedKeys = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
/** Only what changed (the audit records what an admin changed); a password only when one was typed. */
export function userPatchBody(f: UserForm, u: AdminUser): AdminUserPatch {
  const p: AdminUserPatch = {};
  if (f.name.trim() !== u.name) p.name = f.name.trim();
  if (f.role !== u.role) p.role = f.role;
  if (f.password) p.password = f.password;
  if (!same([...f.queues].sort(), [...u.queues].sort())) p.queues = f.queues;
  if ((f.team || null) !== u.team) p.team = f.team || null;
  if (f.locale !== u.locale) p.locale = f.locale;
  const skills = skillsFromRows(f.skills);
  if (!same(sortedKeys(skills), sortedKeys(u.skills))) p.skills = skills;
  const capacity = capacityFromForm(f.capacity);
  if (!same(capacityToForm(capacity), capacityToForm(u.capacity))) p.capacity = capacity;
  return p;
}

export interface TeamForm { id: string; name: string; capacity: CapacityForm }
export const teamToForm = (t: AdminTeam | null): TeamForm => ({ id: t?.id ?? '', name: t?.name ?? '', capacity: capacityToForm(t?.capacity) });
export const teamBody = (f: TeamForm) => ({ name: f.name.trim(), capacity: capacityFromForm(f.capacity) });

/** The users table filter: every word must appear in the username, name, role, team or a queue. */
export function filterUsers<U extends Pick<AdminUser, 'username' | 'name' | 'role' | 'team' | 'queues'>>(users: U[], query: string, extra: (u: U) => string = () => ''): U[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return users;
  return users.filter((u) => {
    const hay = [u.username, u.name, u.role, u.team ?? '', ...u.queues, extra(u)].join(' ').toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}
