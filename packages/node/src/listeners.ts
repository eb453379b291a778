/**
 * Listeners of a component's typed events, by event name: what `on` subscribes to, `emit` tells.
 * A listener that throws is reported to `onError`, never to the component emitting: what a
 * listener does with an event is not the emitter's failure.
 */
export class TypedListeners<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<(detail: never) => void>>()
  readonly #onError: (type: keyof Events, err: unknown) => void

  constructor(onError: (type: keyof Events, err: unknown) => void) {
    this.#onError = onError
  }

  /** Subscribes `listener` to events of `type`; returns the unsubscribe function. */
  on<K extends keyof Events>(type: K, listener: (detail: Events[K]) => void): () => void {
    let set = this.#listeners.get(type)
    if (set === undefined) {
      set = new Set()
      this.#listeners.set(type, set)
    }
    set.add(listener)
    return () => set.delete(listener)
  }

  emit<K extends keyof Events>(type: K, detail: Events[K]): void {
    for (const listener of this.#listeners.get(type) ?? []) {
      try {
        ;(listener as (detail: Events[K]) => void)(detail)
      } catch (err) {
        this.#onError(type, err)
      }
    }
  }
}
