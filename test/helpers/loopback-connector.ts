/**
 * A connector for hub tests of the contract itself (receipts, outbound v2, files): a real plug-in on
 * the 'sms' channel whose "far end" is the test. send() records what it was given (attachments read
 * to bytes), answers with an external id, and can be held open (to race receipts against the send's
 * result) or made to fail. It is started with the hub's own ConnectorContext, like any connector.
 */
import type { ChannelConnector, ConnectorContext, OutboundMessage, SendResult } from '../../channels/contract.js';
import type { DeliveryStatus } from '../../hub/models/types.js';
import { RetryableError, UnrecoverableSendError } from '../../lib/errors.js';
import type { Hub } from '../../hub/hub.js';

export interface SentCall {
  out: OutboundMessage;
  files: Buffer[];
}

export class LoopbackConnector implements ChannelConnector {
  readonly kind = 'sms' as const;
  ctx!: ConnectorContext;
  readonly calls: SentCall[] = [];
  /** External id the far end gives each message (default: "ext-" + our message id). */
  idFor = (messageId: string) => `ext-${messageId}`;
  /** Set: the next sends wait until it resolves (the send is in flight at the channel). */
  hold?: Promise<void>;
  /** Called when a send starts (before any hold). */
  onSend?: (out: OutboundMessage) => void;
  /** How many of the next sends fail with a retryable error. */
  failNext = 0;
  /** Set: the next send fails for good with this reason (an invalid number). */
  refuseNext?: string;

  async start(ctx: ConnectorContext): Promise<void> {
    this.ctx = ctx;
  }
  async stop(): Promise<void> {}

  mapStatus(native: string): DeliveryStatus | undefined {
    return ({ ENROUTE: 'sent', DELIVRD: 'delivered', UNDELIV: 'failed', READ: 'read' } as Record<string, DeliveryStatus>)[native];
  }

  async send(out: OutboundMessage): Promise<SendResult> {
    this.onSend?.(out);
    if (this.refuseNext) {
      const reason = this.refuseNext;
      this.refuseNext = undefined;
      throw new UnrecoverableSendError(reason);
    }
    if (this.failNext > 0) {
      this.failNext--;
      throw new RetryableError('far end busy');
    }
    const files: Buffer[] = [];
    for (const a of out.attachments) {
      const parts: Buffer[] = [];
      for await (const c of a.stream()) parts.push(c as Buffer);
      files.push(Buffer.concat(parts));
    }
    this.calls.push({ out, files });
    if (this.hold) await this.hold;
    return { externalId: this.idFor(out.message.id), status: 'sent' };
  }
}

/** Plug a loopback connector into a running hub, as the registry does with real ones. */
export async function plugLoopback(hub: Hub): Promise<LoopbackConnector> {
  const c = new LoopbackConnector();
  // Both maps, as the registry fills them: byChannel is what starts and stops, routes is what sends go by.
  hub.connectors.byChannel.set(c.kind, c);
  hub.connectors.routes.set(c.kind, c);
  await c.start(hub.connectorContext(c.kind));
  return c;
}
