import { SignJWT, jwtVerify } from 'jose';
import type { Role } from '../models/types.js';
import { unauthorized } from '../../lib/errors.js';

export interface AgentClaims {
  kind: 'agent';
  sub: string;
  role: Role;
  name: string;
}
export interface VisitorClaims {
  kind: 'visitor';
  sub: string; // visitorId
  cid: string; // customer id
  name: string;
}

/** HS256 tokens for agents and web chat visitors; the kind claim keeps one from passing as the other. */
export class Tokens {
  private key: Uint8Array;
  constructor(
    secret: string,
    private readonly agentTtl: number,
    private readonly visitorTtl: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  sign(claims: AgentClaims | VisitorClaims): Promise<string> {
    const ttl = claims.kind === 'agent' ? this.agentTtl : this.visitorTtl;
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
      .setIssuer('cchub')
      .sign(this.key);
  }

  async verify<K extends 'agent' | 'visitor'>(token: unknown, kind: K): Promise<K extends 'agent' ? AgentClaims : VisitorClaims> {
    if (typeof token !== 'string' || token.length > 4096) throw unauthorized('missing or malformed token');
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: 'cchub', algorithms: ['HS256'] });
      if (payload.kind !== kind || typeof payload.sub !== 'string') throw new Error('wrong kind');
      return payload as never;
    } catch {
      throw unauthorized('invalid or expired token');
    }
  }
}
