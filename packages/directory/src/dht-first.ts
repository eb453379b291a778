import type { Logger, PeerId } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'

export interface FirstCopyInit<T> {
  dht: KadDHT
  key: Uint8Array
  /** This node: kad-dht reports its own stored copy only once the query has ended. */
  self: PeerId
  /** Ends the query (its deadline, the node's stop); the answer is then undefined if none came. */
  signal: AbortSignal
  /**
   * Checks one copy and keeps it when it passes; returns it when it may be the answer, undefined
   * when refused (telling whom it must). Called for every copy, also after the answer.
   */
  accept: (value: Uint8Array, from: PeerId) => T | undefined
  log: Logger
}

export interface FirstCopy<T> {
  /** The first copy `accept` took, or undefined when the query ended without one. */
  answer: Promise<T | undefined>
  /** Settles (never rejects) when the query has ended, corrections sent. */
  done: Promise<void>
}

/**
 * A kad-dht GET that answers with the first copy `accept` takes and lets the query run on in the
 * background. kad-dht's `get` yields its VALUE events only once the whole query has run and it
 * has sent corrections to peers holding an older copy; but it passes on each peer's answer as it
 * comes (a PEER_RESPONSE carrying the record, already through the DHT validator). The query still
 * runs to its end: later copies (a higher seq) reach `accept` and the cache, and the corrections
 * are still sent.
 */
export function firstDhtCopy<T>(init: FirstCopyInit<T>): FirstCopy<T> {
  let answered: (value: T | undefined) => void = () => {}
  const answer = new Promise<T | undefined>((resolve) => {
    answered = resolve
  })
  let found = false
  const take = (value: Uint8Array, from: PeerId): void => {
    const taken = init.accept(value, from)
    if (taken !== undefined && !found) {
      found = true
      answered(taken)
    }
  }
  const run = async (): Promise<void> => {
    try {
      for await (const event of init.dht.get(init.key, { signal: init.signal })) {
        if (event.name === 'PEER_RESPONSE' && event.messageName === 'GET_VALUE' && event.record != null)
          take(event.record.value, event.from)
        // the best copy once more at the end: new only when it is this node's own stored copy
        else if (event.name === 'VALUE' && event.from.equals(init.self)) take(event.value, event.from)
      }
    } catch (err) {
      // not found, out of time, stopped, or a failed correction: nothing to answer with
      if (!init.signal.aborted) init.log('DHT get of %s ended: %s', keyText(init.key), (err as Error).message)
    } finally {
      answered(undefined)
    }
  }
  return { answer, done: run() }
}

function keyText(key: Uint8Array): string {
  return new TextDecoder().decode(key)
}
