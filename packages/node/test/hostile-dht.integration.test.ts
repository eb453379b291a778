import { randomBytes } from 'node:crypto'
import type { Stream } from '@libp2p/interface'
import { Record as DhtRecord } from '@libp2p/kad-dht'
import { lpStream } from '@libp2p/utils'
import { NodeIdentity } from '@pocnet/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PocnetDaemon } from '../src/index.ts'
import { concat, lengthPrefixed, varint } from './fixtures/craft.ts'
import {
  createTestFederation,
  startCollectingWarnings,
  type TestFederation,
  until,
} from './fixtures/federation.ts'

/**
 * A member turned hostile (DE) speaking the directory's kad-dht protocol to FR by hand. pocnet
 * stores nothing in the DHT but `/pocnet-dir/<CC>` records, one per member; anything else a
 * peer asks FR to store would be memory it could fill without bound (libp2p's datastore is in
 * memory), and a slower query of every later lookup.
 */

const VICTIM = 0
const ATTACKER = 1
const GUARD_MS = 20_000
/** The directory's private kad-dht protocol id (docs/directory.md). */
const DHT_PROTOCOL = '/pocnet/kad/1.0.0'

/** kad-dht message types (dht.proto). */
const PUT_VALUE = 0
const GET_VALUE = 1
const ADD_PROVIDER = 2
const GET_PROVIDERS = 3
const MiB = 1024 * 1024
/** How much the attacker writes at a time. */
const DHT_CHUNK = 64 * 1024

interface LogLine {
  event: string
  what?: string
  refusedSinceStart?: number
}

// ---- a minimal protobuf codec for kad-dht's Message (fields 1 type, 2 key, 3 record, 9 providers)

function field(no: number, bytes: Uint8Array): Uint8Array {
  return concat(varint((no << 3) | 2), varint(bytes.length), bytes)
}

function message(type: number, parts: Uint8Array[]): Uint8Array {
  return concat(varint(1 << 3), varint(type), ...parts)
}

/** Top-level length-delimited fields of a protobuf message, by field number (varints skipped). */
function fieldsOf(bytes: Uint8Array): Map<number, Uint8Array[]> {
  const out = new Map<number, Uint8Array[]>()
  let at = 0
  const readVarint = (): number => {
    let value = 0
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++]!
      value += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return value
    }
  }
  while (at < bytes.length) {
    const tag = readVarint()
    if ((tag & 7) === 0) {
      readVarint()
      continue
    }
    const length = readVarint()
    const value = bytes.subarray(at, at + length)
    at += length
    out.set(tag >>> 3, [...(out.get(tag >>> 3) ?? []), value])
  }
  return out
}

describe('kad-dht messages from a hostile member', () => {
  let fed: TestFederation
  let victim: PocnetDaemon
  let attacker: PocnetDaemon
  const logs: LogLine[] = []

  beforeAll(async () => {
    fed = await createTestFederation(['FR', 'DE'])
    attacker = await fed.start(ATTACKER)
    victim = await startCollectingWarnings(fed, VICTIM, logs)
    await until(() => victim.health().connectedCountries.includes('DE'), 'FR to connect to DE', GUARD_MS)
  }, 60_000)

  afterAll(async () => {
    await victim?.stop()
    await fed?.cleanup()
  })

  async function dhtStream(): Promise<{ stream: Stream; lp: ReturnType<typeof lpStream<Stream>> }> {
    // by address, not PeerId: when FR dialled DE, DE's peer store may hold no address of FR to redial
    const stream = await attacker.host.dialProtocol(victim.host.getMultiaddrs(), DHT_PROTOCOL, {
      signal: AbortSignal.timeout(GUARD_MS),
    })
    return { stream, lp: lpStream(stream) }
  }

  /** One request on a fresh stream: the victim's answer, or undefined when it cut the stream. */
  async function ask(request: Uint8Array, answered: boolean): Promise<Uint8Array | undefined> {
    const signal = AbortSignal.timeout(GUARD_MS)
    const { stream, lp } = await dhtStream()
    try {
      await lp.write(request, { signal })
      if (!answered) {
        // ADD_PROVIDER has no answer: close our side, the victim handles it and ends the stream
        await stream.close({ signal }).catch(() => {})
        return undefined
      }
      return (await lp.read({ signal })).subarray()
    } catch {
      return undefined
    } finally {
      stream.abort(new Error('done'))
    }
  }

  it('PUT_VALUE of a /pk/ record (any fresh key pair): refused, counted, logged, not stored', async () => {
    const mark = logs.length
    const refusedBefore = victim.health().rejected['dht-refused'] ?? 0
    const stranger = NodeIdentity.generate()
    const key = new TextEncoder().encode('/pk/')
    const pkKey = concat(key, stranger.peerId.toMultihash().bytes)
    // an Ed25519 PeerId is the identity multihash of the key's protobuf: exactly the value /pk/ wants
    const record = new DhtRecord(pkKey, stranger.peerId.toMultihash().digest, new Date())
    await ask(message(PUT_VALUE, [field(2, pkKey), field(3, record.serialize())]), true)

    const answer = await ask(message(GET_VALUE, [field(2, pkKey)]), true)
    expect(answer, 'the victim answers GET_VALUE').toBeDefined()
    expect(fieldsOf(answer!).get(3), 'no /pk/ record stored').toBeUndefined()
    await until(
      () => (victim.health().rejected['dht-refused'] ?? 0) > refusedBefore,
      'the refusal to be counted',
      GUARD_MS,
    )
    expect(logs.slice(mark).filter((l) => l.event === 'dht.refused')).toEqual([
      expect.objectContaining({ what: 'record', refusedSinceStart: 1 }),
    ])
  })

  it('ADD_PROVIDER for any content id: refused, counted, not stored', async () => {
    const refusedBefore = victim.health().rejected['dht-refused'] ?? 0
    const cid = concat(new Uint8Array([0x12, 0x20]), new Uint8Array(randomBytes(32))) // CIDv0: a sha2-256 multihash
    const addr = attacker.host.getMultiaddrs()[0]!.bytes
    const provider = concat(field(1, attacker.identity.peerId.toMultihash().bytes), field(2, addr))
    await ask(message(ADD_PROVIDER, [field(2, cid), field(9, provider)]), false)
    // the victim handles ADD_PROVIDER after our side closed: wait for its outcome, whichever it is
    const providers = async () =>
      fieldsOf((await ask(message(GET_PROVIDERS, [field(2, cid)]), true)) ?? new Uint8Array()).get(9)
    await until(
      async () =>
        (victim.health().rejected['dht-refused'] ?? 0) > refusedBefore || (await providers()) !== undefined,
      'the victim to handle ADD_PROVIDER',
      GUARD_MS,
    )
    expect(await providers(), 'no provider record stored').toBeUndefined()
    expect(victim.health().rejected['dht-refused']).toBe(refusedBefore + 1)
  })

  /** Sends `bytes` on a fresh DHT stream, a chunk at a time, until the victim ends it; whether it did. */
  async function pushUntilCut(bytes: Uint8Array): Promise<{ cut: boolean }> {
    const { stream } = await dhtStream()
    const closed = new Promise<void>((resolve) => stream.addEventListener('close', () => resolve()))
    let sent = 0
    try {
      for (; sent < bytes.length && stream.writeStatus === 'writable'; sent += DHT_CHUNK) {
        if (!stream.send(bytes.subarray(sent, sent + DHT_CHUNK)))
          await Promise.race([stream.onDrain({ signal: AbortSignal.timeout(GUARD_MS) }), closed])
      }
    } catch {
      // the victim reset the stream under us
    }
    // the reset may reach the stream's status before its close event (a write buffer still full)
    const guard = AbortSignal.timeout(GUARD_MS)
    while (stream.status === 'open' && !guard.aborted) await new Promise((r) => setTimeout(r, 20))
    const cut = stream.status !== 'open'
    stream.abort(new Error('done'))
    return { cut }
  }

  /** A count of `rejected` in the victim's status, once it has grown past `before`. */
  const counted = (key: string, before: number) =>
    until(() => (victim.health().rejected[key] ?? 0) > before, `${key} to be counted`, GUARD_MS)

  it('a message announcing 64 MiB: cut at its length prefix (longer than 64 KiB needs), counted', async () => {
    const key = 'dht-message-malformed-length-prefix'
    const before = victim.health().rejected[key] ?? 0
    const { cut } = await pushUntilCut(concat(varint(64 * MiB), new Uint8Array(4 * MiB)))
    expect(cut, 'the victim ended the stream').toBe(true)
    await counted(key, before)
  })

  it('a message announcing 1 MiB: cut before its body is kept, counted as frame-too-large', async () => {
    const key = 'dht-message-frame-too-large'
    const before = victim.health().rejected[key] ?? 0
    const { cut } = await pushUntilCut(concat(varint(MiB), new Uint8Array(MiB)))
    expect(cut, 'the victim ended the stream').toBe(true)
    await counted(key, before)
  })

  it('a length prefix that never ends: cut, counted as malformed-length-prefix', async () => {
    const key = 'dht-message-malformed-length-prefix'
    const before = victim.health().rejected[key] ?? 0
    const { cut } = await pushUntilCut(new Uint8Array(64).fill(0xff))
    expect(cut).toBe(true)
    await counted(key, before)
  })

  it('small messages piled on one stream: cut once the stream brings more than it may, counted', async () => {
    const key = 'dht-message-frame-too-large'
    const before = victim.health().rejected[key] ?? 0
    // PINGs of 32 KiB each (a key field kad-dht ignores): each under the message cap, the pile far over the stream's
    const ping = message(5, [field(2, new Uint8Array(32 * 1024))])
    const one = lengthPrefixed(ping)
    const pile = new Uint8Array(Math.floor((2 * MiB) / one.length) * one.length)
    for (let at = 0; at < pile.length; at += one.length) pile.set(one, at)
    const { cut } = await pushUntilCut(pile)
    expect(cut).toBe(true)
    await counted(key, before)
    expect(logs.some((l) => l.event === 'directory.rejected')).toBe(true)
  })

  it('PUT_VALUE under keys outside /pocnet-dir/ and /pk/ (an Object.prototype name too): refused, counted apart, not stored', async () => {
    const mark = logs.length
    const foreignBefore = victim.health().rejected['dht-foreign-key'] ?? 0
    const refusedBefore = victim.health().rejected['dht-refused'] ?? 0
    const keys = ['/constructor/x', '/toString/x', '/junk/x'].map((k) => new TextEncoder().encode(k))
    for (const key of keys) {
      const record = new DhtRecord(key, new Uint8Array(randomBytes(64)), new Date())
      await ask(message(PUT_VALUE, [field(2, key), field(3, record.serialize())]), true)
    }
    await until(
      () => (victim.health().rejected['dht-foreign-key'] ?? 0) >= foreignBefore + keys.length,
      'the refusals to be counted',
      GUARD_MS,
    )
    for (const key of keys) {
      const answer = await ask(message(GET_VALUE, [field(2, key)]), true)
      expect(answer, 'the victim answers GET_VALUE').toBeDefined()
      expect(
        fieldsOf(answer!).get(3),
        `nothing stored under ${new TextDecoder().decode(key)}`,
      ).toBeUndefined()
    }
    expect(victim.health().rejected['dht-foreign-key']).toBe(foreignBefore + keys.length)
    expect(victim.health().rejected['dht-refused'] ?? 0, 'counted apart').toBe(refusedBefore)
    expect(logs.slice(mark).filter((l) => l.event === 'dht.refused')).toEqual([
      expect.objectContaining({ what: 'key', refusedSinceStart: 1 }),
    ])
  })

  it('a directory record lookup still works afterwards', async () => {
    await attacker.publishOwnRecord()
    const found = await victim.directory.lookup('DE', { sources: ['dht'] })
    expect(found.record.country).toBe('DE')
  })
})
