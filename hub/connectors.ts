/**
 * The hub's running connectors: built from the registry (channels/index.ts) for the sections that are
 * enabled, each given its own ConnectorContext, and their lifecycle states kept for /readyz and /metrics.
 * Nothing here knows a connector by name.
 */
import type { Logger } from 'pino';
import { connectorSection } from '../channels/index.js';
import { CONNECTOR_STATES, type Channel, type ChannelConnector, type ConnectorDefinition, type ConnectorPart, type ConnectorState, type ConversationTarget, type LifecycleEvent } from '../channels/contract.js';
import type { Config } from '../config/index.js';
import type { Metrics } from './metrics.js';

export interface ConnectorStatus {
  state: ConnectorState;
  /** Why it is degraded (as the connector said; never a secret). */
  reason?: string;
  since: string;
}

const NEXT: Record<LifecycleEvent['type'], ConnectorState> = { started: 'up', reconnected: 'up', degraded: 'degraded', stopped: 'stopped' };

export class Connectors {
  /** The enabled connectors, by channel: outbound sends and the hooks go to the conversation's channel. */
  readonly byChannel = new Map<Channel, ChannelConnector>();
  /**
   * Channel → the connector that carries it: byChannel plus the channels a connector also serves
   * (ConnectorDefinition.alsoServes: the email connector carries fax-to-email). Outbound sends and
   * hooks go by this map; byChannel is what is started and stopped (each connector once).
   */
  readonly routes = new Map<Channel, ChannelConnector>();
  private readonly status = new Map<Channel, ConnectorStatus>();
  /** Paths of the enabled connectors' routes that answer any origin (ConnectorDefinition.publicPaths). */
  readonly publicPaths: string[] = [];

  constructor(
    defs: readonly ConnectorDefinition[],
    config: Config,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    for (const d of defs) {
      // Sections of registered connectors were validated by loadConfig; this parse only fills defaults.
      const section = connectorSection(d).parse((config as Record<string, unknown>)[d.kind]);
      if (!section.enabled) continue;
      const c = d.create(section);
      this.byChannel.set(d.kind, c);
      this.routes.set(d.kind, c);
      for (const ch of d.alsoServes ?? []) if (!this.routes.has(ch)) this.routes.set(ch, c);
      this.publicPaths.push(...(d.publicPaths ?? []));
      this.set(d.kind, 'starting');
    }
  }

  /** A connector's lifecycle event: logged, kept for /readyz, counted in /metrics. */
  report(kind: Channel, e: LifecycleEvent): void {
    const state = NEXT[e.type];
    const reason = e.type === 'degraded' ? String(e.reason).slice(0, 300) : undefined;
    if (e.type === 'degraded') this.log.warn({ connector: kind, reason }, 'connector degraded');
    else this.log.info({ connector: kind, event: e.type }, `connector ${e.type}`);
    this.set(kind, state, reason);
  }

  private set(kind: Channel, state: ConnectorState, reason?: string): void {
    this.status.set(kind, { state, reason, since: new Date().toISOString() });
    for (const s of CONNECTOR_STATES) this.metrics.connectorState.set({ connector: kind, state: s }, s === state ? 1 : 0);
  }

  /** Every enabled connector's state, for /readyz. */
  states(): Record<string, ConnectorStatus> {
    return Object.fromEntries(this.status);
  }

  /** Every enabled connector's state and its links (SMPP binds, mailboxes), for administrators. */
  details(): { kind: Channel; status: ConnectorStatus; parts: ConnectorPart[] }[] {
    return [...this.status].map(([kind, status]) => {
      let parts: ConnectorPart[] = [];
      try {
        parts = this.byChannel.get(kind)?.parts?.() ?? [];
      } catch (e) {
        this.log.warn({ err: e, connector: kind }, 'connector parts() failed');
      }
      return { kind, status, parts };
    });
  }

  get(channel: Channel): ChannelConnector | undefined {
    return this.routes.get(channel);
  }

  /** Run a hook of the conversation's connector; a hook that throws is logged, never propagated. */
  hook<K extends 'conversationUpdated' | 'queuePosition' | 'agentTyping' | 'agentRead'>(target: ConversationTarget, name: K, ...args: Parameters<NonNullable<ChannelConnector[K]>> extends [ConversationTarget, ...infer R] ? R : never): void {
    const c = this.routes.get(target.channel);
    const fn = c?.[name] as ((t: ConversationTarget, ...a: unknown[]) => void) | undefined;
    if (!fn) return;
    try {
      fn.call(c, target, ...args);
    } catch (e) {
      this.log.warn({ err: e, connector: target.channel, hook: name }, 'connector hook failed');
    }
  }

  /** Whether the channel's connector defines a hook (spares a lookup per event when it does not). */
  has(channel: Channel, name: 'conversationUpdated' | 'queuePosition' | 'agentTyping' | 'agentRead'): boolean {
    return typeof this.routes.get(channel)?.[name] === 'function';
  }
}
