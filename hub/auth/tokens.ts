import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Role } from '../models/types.js';
import { unauthorized } from '../../lib/errors.js';

export interface AgentClaims {
  kind: 'agent';
  sub: string;
  role: Role;
  name: string;
  /**
   * The user's token version when this token was signed. Every request and socket connection compares it
   * with the stored user's: a role, password or queue change, or disabling the account, bumps the stored
   * one, so every token signed before is dead at once (re-enabling brings none back).
   */
  tv: number;
}
export interface VisitorClaims {
  kind: 'visitor';
  sub: string; // visitorId
  cid: string; // customer id
  name: string;
  /** When the chat session began (seconds). Resuming keeps it: a session ends `visitorSessionMaxAge` after it, however often resumed. */
  sst: number;
}

export interface TokenLifetimes {
  agent: number;
  visitor: number;
  /** Absolute lifetime of a visitor session, resumes included. */
  visitorSession: number;
  /** How long a signed attachment link stays valid. */
  attachmentLink: number;
}

/** HS256 tokens for agents and web chat visitors; the kind claim keeps one from passing as the other. */
export class Tokens {
  private key: Uint8Array;
  private linkKey: Buffer;
  constructor(
    secret: string,
    private readonly ttl: TokenLifetimes,
  ) {
    this.key = new TextEncoder().encode(secret);
    // A key of its own for links, so a link signature can never be replayed as anything else.
    this.linkKey = createHmac('sha256', secret).update('cchub attachment links v1').digest();
  }

  sign(claims: AgentClaims | VisitorClaims): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const exp = claims.kind === 'agent' ? now + this.ttl.agent : Math.min(now + this.ttl.visitor, claims.sst + this.ttl.visitorSession);
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime(exp)
      .setIssuer('cchub')
      .sign(this.key);
  }

  /** Whether a visitor session begun at `sst` may still be resumed. */
  visitorSessionLive(sst: number): boolean {
    return Math.floor(Date.now() / 1000) < sst + this.ttl.visitorSession;
  }

  async verify<K extends 'agent' | 'visitor'>(token: unknown, kind: K): Promise<K extends 'agent' ? AgentClaims : VisitorClaims> {
    if (typeof token !== 'string' || token.length > 4096) throw unauthorized('missing or malformed token');
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: 'cchub', algorithms: ['HS256'] });
      if (payload.kind !== kind || typeof payload.sub !== 'string') throw new Error('wrong kind');
      // Tokens from before versions and session starts existed carry neither: they are refused.
      if (kind === 'agent' && typeof payload.tv !== 'number') throw new Error('no token version');
      if (kind === 'visitor' && (typeof payload.sst !== 'number' || !this.visitorSessionLive(payload.sst))) throw new Error('session over');
      return payload as never;
    } catch {
      throw unauthorized('invalid or expired token');
    }
  }

  /** A short-lived link to an attachment: `?exp=<unix s>&sig=<hmac>`, no session token in the URL. */
  attachmentLink(id: string): { exp: number; sig: string } {
    const exp = Math.floor(Date.now() / 1000) + this.ttl.attachmentLink;
    return { exp, sig: this.linkSig(id, exp) };
  }

  /** Whether a link's signature is ours and for this id, and it has not expired. */
  attachmentLinkValid(id: string, exp: unknown, sig: unknown): boolean {
    if (typeof sig !== 'string' || typeof exp !== 'string' || !/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return false;
    const e = Number(exp);
    if (e < Math.floor(Date.now() / 1000)) return false;
    return timingSafeEqual(Buffer.from(sig), Buffer.from(this.linkSig(id, e)));
  }

  private linkSig(id: string, exp: number): string {
    return createHmac('sha256', this.linkKey).update(`${id}.${exp}`).digest('base64url');
  }
}
