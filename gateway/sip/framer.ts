/**
 * Cuts a TCP byte stream into SIP messages by Content-Length (RFC 3261 §18.3). The buffer never grows
 * past one maximum message: a header section that does not end within MAX_MESSAGE_BYTES, or a
 * Content-Length that would take it there, is an error (the connection is closed). A header section
 * without a readable Content-Length is handed up once as `errorFrame` (the parser refuses it and the
 * gateway can still answer 400) and then the stream is given up: there is no telling where the next
 * message starts.
 */
import { MAX_MESSAGE_BYTES } from './message.js';
import { headerEnd } from './parse.js';

export interface FramerOutput {
  frames: Buffer[];
  error?: string;
  errorFrame?: Buffer;
}

const CL = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d{1,10})[ \t]*(?=\r\n)/gi;

export class Framer {
  private buf: Buffer = Buffer.alloc(0);

  /** Bytes of a message started but not complete. */
  get pending(): boolean {
    return this.buf.length > 0;
  }

  push(chunk: Buffer): FramerOutput {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Buffer[] = [];
    for (;;) {
      // CRLF keep-alives between messages (RFC 5626 §3.5.1) carry nothing.
      let skip = 0;
      while (skip < this.buf.length && (this.buf[skip] === 0x0d || this.buf[skip] === 0x0a)) skip++;
      if (skip) this.buf = this.buf.subarray(skip);
      if (!this.buf.length) return { frames };
      const end = headerEnd(this.buf);
      if (end < 0) {
        if (this.buf.length > MAX_MESSAGE_BYTES) return this.fail(frames, 'header section too large');
        return { frames };
      }
      const head = this.buf.toString('latin1', 0, end);
      const lengths = [...head.matchAll(CL)].map((m) => Number(m[1]));
      if (lengths.length !== 1) return this.fail(frames, 'no single Content-Length on a stream', this.buf.subarray(0, end));
      const total = end + lengths[0];
      if (total > MAX_MESSAGE_BYTES) return this.fail(frames, 'message too large');
      if (this.buf.length < total) return { frames };
      frames.push(Buffer.from(this.buf.subarray(0, total)));
      this.buf = this.buf.subarray(total);
    }
  }

  private fail(frames: Buffer[], error: string, errorFrame?: Buffer): FramerOutput {
    this.buf = Buffer.alloc(0);
    return { frames, error, errorFrame: errorFrame && Buffer.from(errorFrame) };
  }
}
