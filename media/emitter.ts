/**
 * The typed emitter every media object uses. A listener that throws is logged and skipped: a bug in
 * gateway/'s DTMF handler must not stop the next listener, the RTP loop or a worker's supervision.
 */
import { EventEmitter } from 'node:events';

export interface MediaLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: MediaLogger = { warn() {}, error() {} };

export class SafeEmitter<Events extends Record<keyof Events, unknown[]>> {
  private readonly ee = new EventEmitter();

  constructor(protected readonly log: MediaLogger = silentLogger) {
    this.ee.setMaxListeners(0);
  }

  on<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this {
    this.ee.on(event as string, (...args: unknown[]) => {
      try {
        listener(...(args as Events[E]));
      } catch (err) {
        this.log.error({ err, event }, 'media: a listener threw (ignored)');
      }
    });
    return this;
  }

  protected emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    this.ee.emit(event as string, ...args);
  }

  protected removeAllListeners(): void {
    this.ee.removeAllListeners();
  }
}
