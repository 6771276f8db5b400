/**
 * The seam between a call (gateway/call/call.ts: state, media) and its SIP signalling
 * (gateway/sip/inbound-leg.ts: the INVITE transaction and the dialog). The call never sees a SIP
 * message; the leg never touches media.
 */
export interface CallLeg {
  /** The INVITE's SDP offer ('' when it carried none). */
  readonly offer: string;
  /** Sends 180 or 183 (once the call decides to ring). */
  provisional(status: 180 | 183): void;
  /** Sends 200 with our SDP answer and retransmits it until the ACK (RFC 3261 §13.3.1.4). */
  accept(sdp: string): Promise<'acked' | 'no-ack'>;
  /** A final non-2xx answer to the INVITE (486, 487, 488, 503...). */
  reject(status: number): void;
  /** Ends an answered call: BYE through the dialog; resolves with the BYE's final status (408 on timeout). */
  bye(): Promise<number>;
}

/** What the SIP side tells the call. */
export interface CallSignals {
  /** CANCEL before the final answer: the leg has answered the INVITE 487. */
  cancelled(): void;
  /** BYE from the trunk: the leg has answered it 200. */
  remoteBye(): void;
  /** A re-INVITE in the dialog (hold, unhold, a new address): what to answer. */
  reinvite(offer: string): Promise<{ status: number; sdp?: string }>;
}
