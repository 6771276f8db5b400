/**
 * What a queued caller hears: the hold music, looped, with the queue position and estimated wait
 * spoken now and then (when the ACD tells the connector, through its queuePosition hook, and at most
 * every ANNOUNCE_EVERY_MS so the caller is not talked at). A new play stops the current one
 * (CallMedia.play), so an announcement interrupts the music and the music starts again after it.
 */
import type { CallMedia, Player } from '../../media/contract.js';

export const ANNOUNCE_EVERY_MS = 30_000;

export type Speak = (position: number, ewtSec: number) => Promise<string | undefined>;

export class HoldAudio {
  private player?: Player;
  private active = false;
  private lastAnnouncedAt = 0;
  /** Announcements made (tests, metrics). */
  announcements = 0;

  constructor(
    private readonly media: CallMedia,
    private readonly music: string,
    private readonly speak: Speak,
    private readonly log: { warn(o: object, m: string): void },
  ) {}

  get playing(): boolean {
    return this.active;
  }

  start(): void {
    if (this.media.closed) return;
    this.active = true;
    this.playMusic();
  }

  /** The caller's place changed: say it (unless said recently), then back to the music. */
  async announce(position: number, ewtSec: number): Promise<void> {
    if (!this.active || Date.now() - this.lastAnnouncedAt < ANNOUNCE_EVERY_MS) return;
    this.lastAnnouncedAt = Date.now();
    let file: string | undefined;
    try {
      file = await this.speak(position, ewtSec);
    } catch (e) {
      // No announcement (espeak-ng missing) is no reason to stop the music.
      this.log.warn({ err: e, call: this.media.id }, 'queue announcement unavailable');
      return;
    }
    if (!file || !this.active || this.media.closed) return;
    const p = this.media.play(file);
    this.player = p;
    this.announcements++;
    void p.done.then(() => {
      if (this.player === p && this.active) this.playMusic();
    });
  }

  /** An agent takes the call (or it ended): the music stops so the agent's voice goes through. */
  stop(): void {
    this.active = false;
    this.player?.stop();
    this.player = undefined;
  }

  private playMusic(): void {
    if (this.media.closed) return;
    try {
      this.player = this.media.play(this.music, { loop: true });
    } catch (e) {
      if (!this.media.closed) this.log.warn({ err: e, call: this.media.id }, 'hold music not played');
    }
  }
}

/** What a queued caller is told (the demo bank speaks Mandarin): position and wait in whole minutes. */
export function announcementText(position: number, ewtSec: number): string {
  const ahead = Math.max(0, position - 1);
  const minutes = Math.max(1, Math.round(ewtSec / 60));
  return ahead === 0 ? `您是下一位，预计等待${minutes}分钟，请稍候。` : `您前面还有${ahead}位客户，预计等待${minutes}分钟，请稍候。`;
}
