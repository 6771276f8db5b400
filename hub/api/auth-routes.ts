import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { Hub } from '../hub.js';
import { DUMMY_HASH, verifyPassword } from '../auth/password.js';
import { AppError, forbidden, rateLimited, unauthorized } from '../../lib/errors.js';
import type { Role } from '../models/types.js';
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

/** Resolve the bearer token to an active user; every agent route calls this with the roles it allows. */
export function requireUser(hub: Hub, roles: Role[]) {
  return async (req: FastifyRequest): Promise<SessionUser> => {
    const h = req.headers.authorization;
    const token = h?.startsWith('Bearer ') ? h.slice(7) : (req.query as { token?: string })?.token;
    if (!token) throw unauthorized();
    const claims = await hub.tokens.verify(token, 'agent');
    const u = await hub.m.User.findById(claims.sub).lean();
    if (!u || !u.active) throw unauthorized('account disabled');
    if (!roles.includes(u.role as Role)) throw forbidden();
    req.user = { id: String(u._id), username: u.username, name: u.name, role: u.role as Role, queues: u.queues ?? [], locale: (u.locale as 'en' | 'zh') ?? 'zh' };
    return req.user;
  };
}

export function registerAuthRoutes(app: FastifyInstance, hub: Hub): void {
  const limiter = new RateLimiterRedis({ storeClient: hub.redis, keyPrefix: `${hub.config.redisPrefix}:rl:login`, points: 10, duration: 60 });
  app.post('/api/auth/login', async (req) => {
    const body = parseBody(LoginBody, req.body);
    try {
      await limiter.consume(`${req.ip}:${body.username}`);
    } catch (e) {
      if (e instanceof Error) throw e;
      throw rateLimited('too many sign-in attempts; wait a minute');
    }
    const u = await hub.m.User.findOne({ username: body.username }).lean();
    const ok = await verifyPassword(body.password, u?.passwordHash ?? DUMMY_HASH);
    if (!u || !ok || !u.active) {
      await hub.audit.record({ type: 'user', id: u ? String(u._id) : body.username }, 'auth.login_failed', null, undefined, req.ip);
      throw new AppError(401, 'invalid_credentials', 'wrong username or password');
    }
    const user: SessionUser = { id: String(u._id), username: u.username, name: u.name, role: u.role as Role, queues: u.queues ?? [], locale: (u.locale as 'en' | 'zh') ?? 'zh' };
    const token = await hub.tokens.sign({ kind: 'agent', sub: user.id, role: user.role, name: user.name });
    await hub.audit.record({ type: 'user', id: user.id, name: user.name, role: user.role }, 'auth.login', null, undefined, req.ip);
    return { token, user };
  });

  const anyone = requireUser(hub, ['agent', 'supervisor', 'marketing', 'admin']);
  app.get('/api/me', async (req) => ({ user: await anyone(req) }));
}
