/**
 * A typed event emitter whose listeners cannot break it: a listener that throws is reported to
 * `onListenerError` and the others still run (STYLE.md: every emitter has a typed event map).
 */
export class SafeEmitter<Events extends Record<string, unknown[]>> {
  // Stored untyped: the map holds one listener type per event, which TypeScript cannot express.
  private readonly listeners = new Map<keyof Events, Set<(...args: any[]) => void>>();

  constructor(private readonly onListenerError: (e: unknown) => void = () => {}) {}

  on<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) {
      try {
        l(...args);
      } catch (e) {
        this.onListenerError(e);
      }
    }
  }

  count(event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0;
  }
}
