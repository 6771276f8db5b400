import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { Hub } from '../hub.js';
import { DUMMY_HASH, verifyPassword } from '../auth/password.js';
import { sessionUser } from '../auth/sessions.js';
import { AppError, forbidden, rateLimited, unauthorized } from '../../lib/errors.js';
import type { Role } from '../models/types.js';
import { isDemoPassword, isLoopbackHost } from '../seed.js';
import { parseBody } from '../../lib/validate.js';

const LoginBody = z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(256) });

export interface SessionUser {
  id: string;
  username: string;
  name: string;
  role: Role;
  queues: string[];
  locale: 'en' | 'zh';
}

declare module 'fastify' {
  interface FastifyRequest {
    user?: SessionUser;
  }
}

/** The staff token of a request: the Authorization header only (a token in a URL ends up in logs, history and Referer headers). */
export function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
}

/** Resolve the bearer token to an active user as stored now; every agent route calls this with the roles it allows. */
export function requireUser(hub: Hub, roles: Role[]) {
  return async (req: FastifyRequest): Promise<SessionUser> => {
    const token = bearer(req);
    if (!token) throw unauthorized();
    const u = await sessionUser(hub, await hub.tokens.verify(token, 'agent'));
    if (!roles.includes(u.role as Role)) throw forbidden();
    req.user = { id: String(u._id), username: u.username, name: u.name, role: u.role as Role, queues: u.queues ?? [], locale: (u.locale as 'en' | 'zh') ?? 'zh' };
    return req.user;
  };
}

export function registerAuthRoutes(app: FastifyInstance, hub: Hub): void {
  const { perIp, perAccount, global } = hub.config.login;
  const prefix = `${hub.config.redisPrefix}:rl:login`;
  // Failed sign-ins per IP (spraying many usernames from one address) and per account (one username
  // from many addresses); every attempt for the whole hub, since each costs a scrypt.
  const ipFailures = new RateLimiterRedis({ storeClient: hub.redis, keyPrefix: `${prefix}:ip`, points: perIp, duration: 60 });
  const accountFailures = new RateLimiterRedis({ storeClient: hub.redis, keyPrefix: `${prefix}:account`, points: perAccount, duration: 60 });
  const attempts = new RateLimiterRedis({ storeClient: hub.redis, keyPrefix: `${prefix}:global`, points: global, duration: 60 });
  const spent = async (l: RateLimiterRedis, key: string, points: number) => ((await l.get(key))?.consumedPoints ?? 0) >= points;
  const count = (l: RateLimiterRedis, key: string) => l.consume(key).catch((e) => {
    if (e instanceof Error) throw e; // Redis down: a 500, not a free pass
  });
  const beyondLoopback = !isLoopbackHost(hub.config.host);

  app.post('/api/auth/login', async (req) => {
    const body = parseBody(LoginBody, req.body);
    const account = body.username.toLowerCase();
    if ((await spent(ipFailures, req.ip, perIp)) || (await spent(accountFailures, account, perAccount))) throw rateLimited('too many failed sign-ins; wait a minute');
    try {
      await attempts.consume('all');
    } catch (e) {
      if (e instanceof Error) throw e;
      throw rateLimited('too many sign-ins on this service right now; try again in a minute');
    }
    const u = await hub.m.User.findOne({ username: body.username }).lean();
    const ok = await verifyPassword(body.password, u?.passwordHash ?? DUMMY_HASH);
    if (!u || !ok || !u.active) {
      await Promise.all([count(ipFailures, req.ip), count(accountFailures, account)]);
      await hub.audit.record({ type: 'user', id: u ? String(u._id) : body.username }, 'auth.login_failed', null, undefined, req.ip);
      throw new AppError(401, 'invalid_credentials', 'wrong username or password');
    }
    // The demo passwords are public (README): only a hub on loopback accepts them.
    if (beyondLoopback && isDemoPassword(u.username, body.password)) {
      await hub.audit.record({ type: 'user', id: String(u._id) }, 'auth.login_refused_demo_password', null, undefined, req.ip);
      throw forbidden('this is a published demo password: an admin must set a new one before this account can sign in here');
    }
    const user: SessionUser = { id: String(u._id), username: u.username, name: u.name, role: u.role as Role, queues: u.queues ?? [], locale: (u.locale as 'en' | 'zh') ?? 'zh' };
    const token = await hub.tokens.sign({ kind: 'agent', sub: user.id, role: user.role, name: user.name, tv: u.tokenVersion ?? 0 });
    await hub.audit.record({ type: 'user', id: user.id, name: user.name, role: user.role }, 'auth.login', null, undefined, req.ip);
    return { token, user };
  });

  const anyone = requireUser(hub, ['agent', 'supervisor', 'marketing', 'admin']);
  app.get('/api/me', async (req) => ({ user: await anyone(req) }));
}
