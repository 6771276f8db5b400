// Where each role lands after signing in (issue 23 bug 6): marketing has no inbox (the hub refuses its
// socket), so sending it there showed a permanent "Connection lost" banner and a failing state menu.
import type { Role } from '../types';

export type HomeRoute = 'inbox' | 'supervisor' | 'admin' | 'marketing';

export function homeFor(role: Role | undefined): HomeRoute {
  if (role === 'marketing') return 'marketing';
  if (role === 'supervisor') return 'supervisor';
  if (role === 'admin') return 'admin';
  return 'inbox';
}

/** Whether a role works with conversations and routing (the agent socket, the state menu, offers). */
export function hasInbox(role: Role | undefined): boolean {
  return role === 'agent' || role === 'supervisor' || role === 'admin';
}
