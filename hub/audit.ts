import type { Models } from './models/index.js';
import type { Logger } from 'pino';

export interface Actor {
  type: 'user' | 'visitor' | 'system';
  id: string;
  name?: string;
  role?: string;
}

/** Append-only audit trail of logins and every change a person makes. A failed write is logged, never thrown. */
export class AuditLog {
  constructor(
    private readonly m: Models,
    private readonly log: Logger,
  ) {}

  async record(actor: Actor, action: string, target: { type: string; id: string } | null, details?: Record<string, unknown>, ip?: string) {
    try {
      await this.m.Audit.create({ actor, action, target: target ?? undefined, details, ip });
    } catch (e) {
      this.log.error({ err: e, action }, 'audit write failed');
    }
  }
}
