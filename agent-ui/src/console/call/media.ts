// The browser's side of a call (mediasoup-client): the hub's `join` answer gives the router's RTP
// capabilities and two WebRTC transports (mediasoup-client transports carry one direction each);
// the microphone is produced on the send transport, the caller consumed on the receive one and
// played through an <audio> element. Signalling goes through `leg` (the /agent socket's call.leg).
import { Device } from 'mediasoup-client';
import type { Producer, Consumer, Transport } from 'mediasoup-client/types';

export interface JoinAnswer {
  routerRtpCapabilities: unknown;
  transportParams: { send: TransportParams; recv: TransportParams };
}
type TransportParams = { id: string; iceParameters: unknown; iceCandidates: unknown; dtlsParameters: unknown };
export type Leg = (op: 'connect' | 'produce' | 'consume', data: unknown) => Promise<any>;

export interface CallMediaHandle {
  mute(on: boolean): void;
  close(): void;
}

function device(): Device {
  try {
    return new Device();
  } catch {
    // A browser mediasoup-client does not recognise by its user agent (headless Chromium): its
    // Chromium handler is what such a browser runs.
    return new Device({ handlerName: 'Chrome111' });
  }
}

export async function startCallMedia(join: JoinAnswer, leg: Leg): Promise<CallMediaHandle> {
  const d = device();
  await d.load({ routerRtpCapabilities: join.routerRtpCapabilities as never });
  const transports: Transport[] = [];
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let mic: MediaStream | undefined;
  const audio = new Audio();
  audio.autoplay = true;
  const close = () => {
    producer?.close();
    consumer?.close();
    for (const t of transports) t.close();
    mic?.getTracks().forEach((t) => t.stop());
    audio.srcObject = null;
  };
  try {
    const send = d.createSendTransport(join.transportParams.send as never);
    transports.push(send);
    send.on('connect', ({ dtlsParameters }, ok, fail) => void leg('connect', { transportId: send.id, dtlsParameters }).then(() => ok(), fail));
    send.on('produce', ({ rtpParameters }, ok, fail) => void leg('produce', { rtpParameters }).then((r: { id: string }) => ok(r), fail));
    const recv = d.createRecvTransport(join.transportParams.recv as never);
    transports.push(recv);
    recv.on('connect', ({ dtlsParameters }, ok, fail) => void leg('connect', { transportId: recv.id, dtlsParameters }).then(() => ok(), fail));

    mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    producer = await send.produce({ track: mic.getAudioTracks()[0] });
    const c = await leg('consume', { rtpCapabilities: d.rtpCapabilities });
    consumer = await recv.consume({ id: c.id, producerId: c.producerId, kind: 'audio', rtpParameters: c.rtpParameters });
    audio.srcObject = new MediaStream([consumer.track]);
    await audio.play().catch(() => undefined); // autoplay refused: the next click on the page starts it
  } catch (e) {
    close();
    throw e;
  }
  return {
    mute: (on) => (on ? producer?.pause() : producer?.resume()),
    close,
  };
}
