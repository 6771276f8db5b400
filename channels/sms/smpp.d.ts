// The smpp package (0.5.1) ships no types; we use its PDU encoder and, in tests, its server.
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';
  export class PDU {
    constructor(command: string | Buffer, options?: Record<string, unknown>);
    command: string;
    command_status: number;
    sequence_number: number;
    toBuffer(): Buffer;
    response(options?: Record<string, unknown>): PDU;
    [key: string]: unknown;
  }
  export class Session extends EventEmitter {
    socket: Socket;
    send(pdu: PDU, onResponse?: (pdu: PDU) => void, onSent?: (pdu: PDU) => void): boolean;
    close(cb?: () => void): void;
    destroy(cb?: () => void): void;
    pause(): void;
    resume(): void;
    [command: string]: unknown;
  }
  export class Server extends NetServer {
    sessions: Session[];
  }
  export function createServer(options: Record<string, unknown>, listener?: (s: Session) => void): Server;
  const smpp: { PDU: typeof PDU; Session: typeof Session; Server: typeof Server; createServer: typeof createServer };
  export default smpp;
}
