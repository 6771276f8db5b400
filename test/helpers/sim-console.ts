/**
 * A test stand-in for an agent's console under load (agent-ui/src/realtime.ts and the inbox store,
 * minus the UI): it holds what the hub announces as assigned to it, acknowledges it
 * (`conversation.ack`), resolves each after a handle time, reloads its own list after every
 * (re)connect, goes back to available when routing marks it not answering, and moves to another hub
 * when its hub dies. What it holds is what the agent would see on screen.
 */
import { io, type Socket } from 'socket.io-client';

const LIVE = new Set(['queued', 'assigned', 'pending']);

export interface SimConsoleOptions {
  id: string;
  token: string;
  /** A hub that is up, preferably not `avoid` (the one that just went away). */
  pickHub(avoid?: string): Promise<string>;
  /** How long the agent takes over one conversation (ms). */
  handleMs(): number;
}

export class SimConsole {
  /** Conversations on screen → their resolve timer. */
  readonly held = new Map<string, NodeJS.Timeout | null>();
  /** Newest updatedAt seen per conversation (older events are dropped, as the console does). */
  private seen = new Map<string, string>();
  url = '';
  connected = false;
  /** Routing state as this console last heard it. */
  state = 'offline';
  resolved = new Set<string>();
  /** Off the screen for another reason: refused as already resolved (our own earlier attempt) or not ours. */
  gone = new Set<string>();
  ronas = 0;
  private socket?: Socket;
  private stopped = false;

  constructor(private readonly o: SimConsoleOptions) {}

  get id(): string {
    return this.o.id;
  }

  async start(): Promise<void> {
    await this.connect(await this.o.pickHub());
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.held.values()) if (t) clearTimeout(t);
    this.socket?.removeAllListeners();
    this.socket?.close();
  }

  private connect(url: string): Promise<void> {
    this.url = url;
    const s = io(`${url}/agent`, { auth: { token: this.o.token }, transports: ['websocket'], reconnection: false, forceNew: true });
    this.socket = s;
    s.on('conversation.updated', (p: { conversation: { id: string; status: string; assignee?: { id: string } | null; updatedAt: string } }) => this.apply(p.conversation));
    s.on('agent.state', (p: { agent: { id: string; state: string; reason?: string } }) => {
      if (p.agent.id === this.o.id) this.onState(p.agent);
    });
    s.on('disconnect', () => this.lost(s));
    return new Promise((resolve) => {
      s.once('connect', () => {
        this.connected = true;
        void this.reload();
        void this.restoreState();
        resolve();
      });
      s.once('connect_error', () => {
        this.lost(s);
        resolve();
      });
    });
  }

  /** The hub went away (or refused us): another one, after a short pause as a real client makes. */
  private lost(s: Socket): void {
    if (this.socket !== s) return;
    this.connected = false;
    s.removeAllListeners();
    s.close();
    this.socket = undefined;
    if (this.stopped) return;
    const from = this.url;
    setTimeout(() => void this.o.pickHub(from).then((u) => (this.stopped ? undefined : this.connect(u))), 100);
  }

  /** Its routing state, as the console restores it on every connect (events sent meanwhile were lost). */
  private async restoreState(): Promise<void> {
    try {
      const r = await fetch(`${this.url}/api/acd/me`, { headers: { authorization: `Bearer ${this.o.token}` } });
      if (r.status !== 200) return;
      const body = (await r.json()) as { agent: { id: string; state: string } | null };
      if (body.agent) this.onState(body.agent);
    } catch {
      /* the next connect restores it */
    }
  }

  private onState(agent: { id: string; state: string }): void {
    this.state = agent.state;
    // A person back at the desk after a missed contact.
    if (agent.state === 'notready') {
      this.ronas++;
      void this.call('/api/acd/me/state', { state: 'available' }).catch(() => undefined);
    }
  }

  /** Its own list, as the console refetches it after a reconnect (events sent meanwhile were lost). */
  private async reload(): Promise<void> {
    try {
      const r = await fetch(`${this.url}/api/conversations?scope=mine&limit=100`, { headers: { authorization: `Bearer ${this.o.token}` } });
      if (r.status !== 200) return;
      const body = (await r.json()) as { items: { id: string; status: string; assignee?: { id: string } | null; updatedAt: string }[] };
      for (const c of body.items) this.apply(c);
    } catch {
      /* the hub died under us: the next connect reloads */
    }
  }

  private apply(c: { id: string; status: string; assignee?: { id: string } | null; updatedAt: string }): void {
    const mine = c.assignee?.id === this.o.id && LIVE.has(c.status);
    // Acknowledged even when older than what is shown: the hub clears only a current assignment of ours.
    if (mine) this.socket?.emit('conversation.ack', { ids: [c.id] });
    const prev = this.seen.get(c.id);
    if (prev && c.updatedAt < prev) return;
    this.seen.set(c.id, c.updatedAt);
    if (mine) {
      if (!this.held.has(c.id) && !this.resolved.has(c.id)) this.held.set(c.id, setTimeout(() => void this.resolve(c.id), this.o.handleMs()));
    } else if (this.held.has(c.id)) {
      // Resolved (by us, whose answer may be lost with a dying hub) or moved away: off the screen.
      clearTimeout(this.held.get(c.id)!);
      this.held.delete(c.id);
      this.gone.add(c.id);
    }
  }

  private async resolve(id: string): Promise<void> {
    if (!this.held.has(id) || this.stopped) return;
    let status = 0;
    try {
      status = (await this.call(`/api/conversations/${id}/resolve`, { wrapUpCode: 'resolved' })).status;
    } catch {
      status = 0;
    }
    if (status === 200) this.resolved.add(id);
    else if (status >= 400 && status < 500) this.gone.add(id);
    if (status === 0 || status >= 500) {
      // The hub died with the request: try again (on whichever hub we are on by then).
      if (this.held.has(id)) this.held.set(id, setTimeout(() => void this.resolve(id), 200));
      return;
    }
    // 200, or refused (already resolved by our own first attempt, or no longer ours): off the screen.
    this.held.delete(id);
  }

  private call(path: string, body: unknown): Promise<Response> {
    return fetch(`${this.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${this.o.token}` }, body: JSON.stringify(body) });
  }
}
