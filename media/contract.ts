/**
 * The seam between gateway/ (SIP signalling, call control, IVR) and media/ (mediasoup workers and
 * everything that touches RTP). gateway/ imports this file only, never media/ internals; media/
 * imports nothing from gateway/. Both sides test against it.
 *
 * Ownership (mediasoup's own model): MediaEngine → CallMedia (one per call) → legs (trunk leg, agent
 * legs) → players / recorders. Objects are created only by their parent's factory method; closing a
 * parent closes its children; every method of a closed object throws MediaError('closed').
 * A listener that throws never breaks the emitter.
 */
import type { Readable } from 'node:stream';

export type G711 = 'PCMU' | 'PCMA';

/** The media layer's one error class; gateway/ maps codes to SIP responses (no-common-codec → 488, others → 500/503). */
export class MediaError extends Error {
  constructor(
    readonly code: 'no-common-codec' | 'no-worker' | 'no-port' | 'closed' | 'bad-file',
    message: string,
  ) {
    super(message);
  }
}

export interface RtpEndpoint {
  address: string;
  port: number;
}

/** One codec of an SDP offer, in the offer's order of preference. */
export interface OfferedCodec {
  payloadType: number;
  /** Encoding name as in a=rtpmap (PCMU, PCMA, telephone-event, G722, opus…). */
  name: string;
  clockRate: number;
}

/** The trunk's SDP offer (or answer, for outbound calls) reduced to what media needs. */
export interface TrunkSdp {
  /** c= and m= of the audio stream; comedia latches onto where RTP really comes from (NAT). */
  remote: RtpEndpoint;
  codecs: OfferedCodec[];
  /** a=sendrecv|sendonly|recvonly|inactive (hold is sendonly/inactive from the far end). */
  direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
}

/** What we answer: gateway/ turns it into SDP (c=, m=audio port, rtpmap for codec and telephone-event). */
export interface TrunkAnswer {
  local: RtpEndpoint;
  codec: { name: G711; payloadType: number };
  /** RFC 4733 payload type we accept and send (8000 Hz); absent when the offer had none. */
  telephoneEventPayloadType?: number;
}

export interface MediaEngineEvents {
  /** A worker died; its calls were closed with reason 'worker-died'; a new worker takes new calls. */
  workerDied: [{ pid: number; calls: string[] }];
}

export interface MediaEngine {
  /** Allocates a call's media on the least loaded worker. */
  createCall(callId: string): Promise<CallMedia>;
  readonly calls: ReadonlyMap<string, CallMedia>;
  on<E extends keyof MediaEngineEvents>(event: E, listener: (...args: MediaEngineEvents[E]) => void): this;
  close(): Promise<void>;
}

export interface CallMediaEvents {
  /** An RFC 4733 digit from the trunk (end of event, once per digit despite redundant end packets). */
  dtmf: [{ digit: string; durationMs: number }];
  /** No RTP from the trunk for the configured stall time. */
  stalled: [];
  close: [{ reason: string }];
}

export interface CallMedia {
  readonly id: string;
  readonly closed: boolean;
  /**
   * The trunk leg (PlainTransport, comedia). Throws a MediaError with code 'no-common-codec' when the
   * offer has neither PCMU nor PCMA (gateway answers 488).
   */
  answerTrunk(offer: TrunkSdp): Promise<TrunkAnswer>;
  /** A re-INVITE changed the far end (new address, hold). */
  updateTrunk(offer: TrunkSdp): Promise<TrunkAnswer>;
  /** Plays an 8 kHz mono WAV (or a list, in order) to the caller; a new play stops the current one. */
  play(files: string | string[], opts?: { loop?: boolean }): Player;
  /** Sends a digit to the trunk as RFC 4733 events. */
  sendDtmf(digit: string): Promise<void>;
  /** Starts a stereo WAV (customer left, agent right); marks pause/resume/stop in its metadata. */
  record(): Recorder;
  /** The agent's browser leg (WebRtcTransport), bridged to the trunk leg. */
  createAgentLeg(agentId: string): Promise<AgentLeg>;
  on<E extends keyof CallMediaEvents>(event: E, listener: (...args: CallMediaEvents[E]) => void): this;
  close(reason?: string): void;
}

export interface Player {
  /** Resolves when the file(s) finished, or were stopped (`stopped: true`, e.g. barge-in). */
  readonly done: Promise<{ stopped: boolean }>;
  stop(): void;
}

export interface RecordingMark {
  at: number; // ms from start
  kind: 'start' | 'pause' | 'resume' | 'stop';
  by?: string;
}

export interface Recorder {
  pause(by?: string): void;
  resume(by?: string): void;
  /** Finishes the WAV; the stream is what the caller stores as a file (hub/files.ts storeFile). */
  stop(): Promise<{ wav: Readable; durationMs: number; marks: RecordingMark[] }>;
}

/** Signalling for the browser leg, as mediasoup-client needs it (sent over the agent's socket). */
export interface AgentLeg {
  readonly agentId: string;
  /**
   * `{ send, recv }`, each `{ id, iceParameters, iceCandidates, dtlsParameters }`: a mediasoup-client
   * transport carries one direction only, so the browser makes a send transport from `send` and a
   * receive transport from `recv`.
   */
  readonly transportParams: unknown;
  readonly routerRtpCapabilities: unknown;
  /** `{ transportId, dtlsParameters }` from the browser transport's 'connect' event (either transport). */
  connect(dtlsParameters: unknown): Promise<void>;
  /** The browser's microphone → the caller. */
  produce(kind: 'audio', rtpParameters: unknown): Promise<{ id: string }>;
  /** The caller → the browser's speaker. */
  consume(rtpCapabilities: unknown): Promise<{ id: string; producerId: string; kind: 'audio'; rtpParameters: unknown }>;
  close(): void;
}
