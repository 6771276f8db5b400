/**
 * The `voice` section (issue 20): the SIP trunk gateway (gateway/sip) and the media ports (media/).
 * Exactly the shape the issue fixes:
 *
 *   { "voice": {
 *       "sip": { "listen": [ { "transport": "udp", "host": "127.0.0.1", "port": 5060 },
 *                            { "transport": "tcp", "host": "127.0.0.1", "port": 5060 } ] },
 *       "trunks": [ { "name": "carrier", "addresses": ["127.0.0.2"], "numbers": ["95588"],
 *                     "outbound": { "host": "127.0.0.2", "port": 5060, "transport": "udp" } } ],
 *       "rtp": { "minPort": 40000, "maxPort": 49999, "announcedAddress": "127.0.0.1" } } }
 *
 * Off by default like every channel: nothing listens on 5060 until `voice.enabled` is true.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const transport = z.enum(['udp', 'tcp']);

export const SipListenSchema = z.strictObject({
  transport,
  /** Interface to bind (an IP address: SIP puts it in Via and Contact). */
  host: z.string().refine((h) => isIP(h) !== 0, 'an IP address'),
  /** 0 = a free port (tests). */
  port: port.default(5060),
});

export const TrunkSchema = z.strictObject({
  /** Short unique name: in logs, metrics and on the call. */
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/i, 'letters, digits, - and _ (at most 32)'),
  /** Source IP addresses the carrier sends from; requests from anywhere else get 403 (toll-fraud protection). */
  addresses: z.array(z.string().refine((h) => isIP(h) !== 0, 'an IP address')).min(1).max(64),
  /** Called numbers (Request-URI user part) this trunk may reach; any other gets 404. */
  numbers: z.array(z.string().regex(/^\+?[0-9*#]{1,32}$/, 'digits, optionally with a leading +')).min(1).max(1000),
  /** Where our requests towards the carrier go (BYE and re-INVITE follow the dialog; OPTIONS and new calls go here). */
  outbound: z
    .strictObject({
      host: z.string().min(1).max(255),
      port: port.default(5060),
      transport: transport.default('udp'),
    })
    .optional(),
});

export const VoiceConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    sip: z
      .strictObject({
        /** Sockets the gateway listens on (UDP and TCP, RFC 3261 §18). */
        listen: z.array(SipListenSchema).min(1).max(8).default([
          { transport: 'udp', host: '127.0.0.1', port: 5060 },
          { transport: 'tcp', host: '127.0.0.1', port: 5060 },
        ]),
        /** RFC 3261 timer T1 in ms (round-trip estimate); retransmissions and timeouts derive from it (B/F/H/J = 64·T1). */
        t1Ms: z.coerce.number().int().min(50).max(5000).default(500),
        /** A TCP connection with nothing received for this long is closed. */
        tcpIdleSeconds: z.coerce.number().int().min(1).max(3600).default(120),
      })
      .prefault({}),
    trunks: z.array(TrunkSchema).max(64).default([]),
    rtp: z
      .strictObject({
        minPort: port.default(40000),
        maxPort: port.default(49999),
        /** The address put in our SDP's c= line (what the carrier sends RTP to). */
        announcedAddress: z.string().refine((h) => isIP(h) !== 0, 'an IP address').default('127.0.0.1'),
        /** Interface the trunk RTP sockets bind (media/options.ts); default: the announced address when it is local, else 0.0.0.0. */
        listenIp: z.string().refine((h) => isIP(h) !== 0, 'an IP address').optional(),
        /** No RTP from the trunk for this long ends the call (the media's `stalled` → our BYE). */
        stallSeconds: z.coerce.number().int().min(1).max(3600).default(30),
      })
      .refine((r) => r.minPort <= r.maxPort, { message: 'minPort must not exceed maxPort', path: ['minPort'] })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    const addresses = new Map<string, string>();
    c.trunks.forEach((t, i) => {
      if (names.has(t.name.toLowerCase())) ctx.addIssue({ code: 'custom', path: ['trunks', i, 'name'], message: `duplicate trunk name ${t.name}` });
      names.add(t.name.toLowerCase());
      // One source address is one trunk: the ACL picks the trunk (and its numbers) by address.
      t.addresses.forEach((a, j) => {
        const other = addresses.get(a);
        if (other) ctx.addIssue({ code: 'custom', path: ['trunks', i, 'addresses', j], message: `address ${a} already belongs to trunk ${other}` });
        addresses.set(a, t.name);
      });
    });
  });

export type VoiceConfig = z.output<typeof VoiceConfigSchema>;
export type TrunkConfig = VoiceConfig['trunks'][number];
