/**
 * Staff sessions: what a token must match in the stored user, and how every session of a user ends
 * at once. The token is only a pointer; the user as stored now decides (role, active, version).
 */
import type { Hub } from '../hub.js';
import type { AgentClaims } from './tokens.js';
import { unauthorized } from '../../lib/errors.js';
import type { UserDoc } from '../models/user.js';

/** The stored user behind a staff token, or a 401: unknown, disabled, or a token of an older version. */
export async function sessionUser(hub: Pick<Hub, 'm'>, claims: AgentClaims): Promise<UserDoc> {
  const u = (await hub.m.User.findById(claims.sub, { passwordHash: 0 }).lean()) as UserDoc | null;
  if (!u || !u.active) throw unauthorized('account disabled');
  if ((u.tokenVersion ?? 0) !== claims.tv) throw unauthorized('this session has ended; sign in again');
  return u;
}

/**
 * End every session of a user: tokens signed before are refused from now on (the version moves in the
 * same write as the change that calls for it), and the user's console sockets are dropped on every hub.
 */
export function dropSockets(hub: Pick<Hub, 'io'>, userId: string): void {
  hub.io.of('/agent').in(`user:${userId}`).disconnectSockets(true);
}
