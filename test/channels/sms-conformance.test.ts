/**
 * The SMS connector through the connector conformance suite, with the SMSC simulator
 * (test/helpers/smsc.ts, real SMPP over TCP) as the far end: MO texts are deliver_sm PDUs the
 * simulator resends until it gets a deliver_sm_resp (an SMSC's redelivery), MT arrives as submit_sm,
 * receipts go back as deliver_sm receipts carrying the SMSC's message id. The hub is a child process
 * (crash() SIGKILLs it; the simulator's bind comes back from the next hub) on embedded services of its
 * own (stallStore() SIGSTOPs that store only).
 *
 * SMPP gives an MO no id of its own: the connector keys it by sender, account and text (within a time
 * bucket), so each delivery here carries its inbound id in the text, as two different texts would.
 */
import smpp from 'smpp';
import mongoose from 'mongoose';
import { SmsConnector } from '../../channels/sms/connector.js';
import { api, loginAs } from '../helpers/hub.js';
import { startSmsHub } from '../helpers/sms-hub.js';
import { waitFor } from '../helpers/wait.js';
import { describeConnectorConformance, type ConformanceAdapter } from './conformance.js';

const FROM = '8613800138077';

async function smsAdapter(): Promise<ConformanceAdapter> {
  const env = await startSmsHub('sms-conf');
  const { smsc, svc, db } = env;
  // Receipts only when a test reports one (the outbound test waits for 'sent', not past it).
  smsc.receipts = 'none';
  const messages = db.collection('messages');
  let token: string | undefined;
  let inFlight = 0;
  let n = 0;
  // Parentheses, not brackets: [ and ] are escape characters in GSM 03.38, where ( and ) are ASCII's.
  // An SMSC's redelivery is the same PDU: a resend of an inbound id carries the text it first had.
  const bodies = new Map<string, string>();
  const bodyOf = (inboundId: string, text: string) => {
    if (!bodies.has(inboundId)) bodies.set(inboundId, `${text} (${inboundId})`);
    return bodies.get(inboundId)!;
  };

  /** One MO, redelivered by the "SMSC" until acked: after a drop it waits for the next bind and resends. */
  const deliver = async (inboundId: string, text: string) => {
    inFlight++;
    try {
      for (let attempt = 0; ; attempt++) {
        if (attempt > 50) throw new Error(`MO ${inboundId} never acked`);
        await waitFor(() => smsc.sessions.size > 0, 60_000, 'a bound session');
        const status = await smsc.mo(FROM, bodyOf(inboundId, text)).catch(() => -1);
        if (status === 0) return {};
        // -1: the session closed before the resp (a crash); anything else: a temporary refusal.
      }
    } finally {
      inFlight--;
    }
  };

  /** What the simulator received, as text (GSM as one septet per octet for our ASCII, UCS-2 big-endian; UDH cut off). */
  const received = () =>
    smsc.submitted
      .filter((s) => s.dest === FROM)
      .map((s) => {
        let raw = s.raw;
        if (s.esmClass & 0x40) raw = raw.subarray(raw[0]! + 1);
        const text = s.dataCoding === 8 ? Buffer.from(raw).swap16().toString('utf16le') : raw.toString('latin1');
        return { text };
      });

  const conversationOfLastInbound = async (): Promise<string> => {
    const last = await messages.find({ channel: 'sms', direction: 'in' }).sort({ _id: -1 }).limit(1).next();
    if (!last) throw new Error('deliver first');
    return String(last.conversationId);
  };

  const receipt = async (messageId: string, native: string): Promise<boolean> => {
    const doc = await waitFor(async () => {
      const m = await messages.findOne({ _id: new mongoose.Types.ObjectId(messageId) });
      return m?.sentId ? m : null;
    }, 10_000, 'the SMSC id recorded on the message');
    const status = await smsc.sendReceipt(smsc.anySession(), String(doc.sentId), native);
    if (status !== 0) throw new Error(`receipt refused: ${status}`);
    return true;
  };

  return {
    deliver,
    storedCount: async (inboundId) => messages.countDocuments({ channel: 'sms', direction: 'in', text: { $regex: `\\(${inboundId}\\)$` } }),
    crash() {
      const unackedAtKill = inFlight;
      const next = env.restart(); // the signal goes out now, before any await
      token = undefined;
      return next.then(() => ({ unackedAtKill }));
    },
    stallStore: () => svc.stall('embedded-store'),
    async sync() {
      // enquire_link on the same session: answered by the bind, after it has read (and begun
      // ingesting) every deliver_sm sent before it; it touches no store.
      const s = smsc.anySession();
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no enquire_link_resp')), 10_000);
        s.send(new smpp.PDU('enquire_link', {}), () => {
          clearTimeout(t);
          resolve();
        });
      });
    },
    async reconnect() {
      // A network drop: every SMPP connection is cut; the connector binds again by itself.
      const binds = smsc.bindAttempts;
      smsc.dropAll();
      await waitFor(() => smsc.sessions.size === 1 && smsc.bindAttempts > binds, 30_000, 'bound again');
    },
    async triggerSend(text) {
      token ??= await loginAs(env.hub().url, 'agent1');
      const conv = await conversationOfLastInbound();
      const r = await api(env.hub().url, `/api/conversations/${conv}/messages`, { token, body: { text, clientId: `sms-conf-${++n}-${Date.now()}` } });
      if (r.status !== 201) throw new Error(`reply: ${r.status} ${JSON.stringify(r.body)}`);
      return { messageId: r.body.message.id };
    },
    received,
    outboundStatus: async (id) => (await messages.findOne({ _id: new mongoose.Types.ObjectId(id) }))?.status,
    reportNative: receipt,
    reportByChannelId: receipt,
    async startConversation(text, clientId) {
      token ??= await loginAs(env.hub().url, 'agent1');
      const r = await api(env.hub().url, '/api/conversations', { token, body: { channel: 'sms', to: `+${FROM}`, text, clientId } });
      if (r.status !== 201 && r.status !== 200) throw new Error(`start: ${r.status} ${JSON.stringify(r.body)}`);
      return { status: r.status, messageId: r.body.message?.id };
    },
    // A pure table on the class (it reads no state); the hub runs in another process.
    connector: () => SmsConnector.prototype,
    mapStatus: [
      { native: 'DELIVRD', expected: 'delivered' },
      { native: 'UNDELIV', expected: 'failed' },
      { native: 'EXPIRED', expected: 'failed' },
      { native: 'REJECTD', expected: 'failed' },
      { native: 'ENROUTE', expected: 'sent' },
      { native: 'UNKNOWN', expected: undefined },
    ],
    close: () => env.close(),
  };
}

describeConnectorConformance('sms', smsAdapter);
