import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { Record as DhtRecord } from '@libp2p/kad-dht'
import { lpStream } from '@libp2p/utils'
import { NodeIdentity } from '@pocnet/crypto'
import {
  DHT_PROTOCOL,
  directoryKey,
  encodeRosterBody,
  encodeRosterDocument,
  ROSTER_PROTOCOL,
  readRosterChainFile,
  signRecord,
  signRosterBody,
} from '@pocnet/directory'
import { encode } from '@pocnet/protocol'
import { testContact } from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UserStore } from '../src/control/users.ts'
import {
  ControlClient,
  createLogger,
  nodeRoutes,
  PocnetDaemon,
  startControlServer,
  statusRoutes,
} from '../src/index.ts'
import { concat, HTTP_GARBAGE, varint } from './fixtures/craft.ts'
import { createTestFederation, PASSPHRASE, type TestFederation, until } from './fixtures/federation.ts'

/**
 * A member turned hostile (DE) puts bad directory records into FR's DHT and serves FR a bad
 * roster chain. Each refusal must show in the status the control API returns (by reason), and
 * in FR's log as one line per reason every 10 s with the count, never the record's contents.
 */

const VICTIM = 0
const ATTACKER = 1
const GUARD_MS = 20_000
const PUT_VALUE = 0

interface LogLine {
  level: string
  event: string
  reason?: string
  protocol?: string
  peer?: string
  member?: string | null
  recordCountry?: string
  rejectedSinceStart?: number
}

/** A kad-dht message (dht.proto: 1 type, 2 key, 3 record). */
function putValue(key: Uint8Array, value: Uint8Array): Uint8Array {
  const field = (no: number, bytes: Uint8Array) => concat(varint((no << 3) | 2), varint(bytes.length), bytes)
  const record = new DhtRecord(key, value, new Date()).serialize()
  return concat(varint(1 << 3), varint(PUT_VALUE), field(2, key), field(3, record))
}

describe('directory records and roster chains from a hostile member', () => {
  let fed: TestFederation
  let victim: PocnetDaemon
  let attacker: PocnetDaemon
  let control: ControlClient
  let stopControl: (() => Promise<void>) | undefined
  const logs: LogLine[] = []
  const rawLogs: string[] = []

  const status = () => control.call(statusRoutes.health)
  const rejected = async (reason: string) => (await status()).rejected[reason] ?? 0

  beforeAll(async () => {
    fed = await createTestFederation(['FR', 'DE'])
    attacker = await fed.start(ATTACKER)
    const dataDir = fed.nodes[VICTIM]!.dataDir
    victim = await PocnetDaemon.start({
      dataDir,
      passphrase: PASSPHRASE,
      log: createLogger({
        level: 'warn',
        component: 'FR',
        write: (line) => {
          rawLogs.push(line)
          logs.push(JSON.parse(line) as LogLine)
        },
      }),
    })
    const users = await UserStore.open(dataDir)
    const token = await users.add('olga', 'operator')
    const socketPath = join(dataDir, 'control.sock')
    const server = await startControlServer({
      socketPath,
      users,
      routes: nodeRoutes(victim, users),
      log: createLogger({ level: 'error' }),
    })
    stopControl = () => new Promise<void>((resolve) => server.close(() => resolve()))
    control = new ControlClient(socketPath, token)
    await until(() => victim.health().connectedCountries.includes('DE'), 'FR to connect to DE', GUARD_MS)
    // DE's genuine record, stored by FR: FR now remembers DE's seq
    await until(
      async () => (await attacker.publishOwnRecord()).storedBy > 0,
      'FR to store DE record',
      GUARD_MS,
    )
  }, 60_000)

  afterAll(async () => {
    await stopControl?.()
    await victim?.stop()
    await fed?.cleanup()
  })

  /** One PUT_VALUE to FR on a fresh stream, as kad-dht frames it; FR's answer does not matter. */
  async function put(value: Uint8Array): Promise<void> {
    const signal = AbortSignal.timeout(GUARD_MS)
    const stream = await attacker.host.dialProtocol(victim.host.getMultiaddrs(), DHT_PROTOCOL, { signal })
    try {
      const lp = lpStream(stream)
      await lp.write(putValue(directoryKey('DE'), value), { signal })
      await lp.read({ signal }).catch(() => undefined) // FR aborts the stream on a refused record
    } finally {
      stream.abort(new Error('done'))
    }
  }

  it('records signed by another key: each refused and counted, one log line with the count', async () => {
    const genuine = attacker.directory.ownRecord!.record
    const stranger = NodeIdentity.generate()
    const forged = signRecord(stranger, { ...genuine, seq: genuine.seq + 1 })
    for (let i = 0; i < 3; i++) await put(forged)
    await until(
      async () => (await rejected('dht-record-bad-signature')) === 3,
      'three bad-signature refusals in the status',
      GUARD_MS,
    )
    const lines = logs.filter((l) => l.reason === 'dht-record-bad-signature')
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        event: 'directory.rejected',
        protocol: 'dht',
        recordCountry: 'DE',
        rejectedSinceStart: 1,
      }),
    ])
  })

  it('a record with a seq in the past (a replay): refused as stale, counted, logged', async () => {
    const genuine = attacker.directory.ownRecord!.record
    const old = signRecord(attacker.identity, { ...genuine, seq: genuine.seq - 1 })
    await put(old)
    await until(async () => (await rejected('dht-record-stale')) === 1, 'the stale refusal', GUARD_MS)
    expect(logs.filter((l) => l.reason === 'dht-record-stale')).toEqual([
      expect.objectContaining({ event: 'directory.rejected', rejectedSinceStart: 1 }),
    ])
    // FR still serves DE's genuine record
    const found = await victim.directory.lookup('DE', { sources: ['dht'] })
    expect(found.record.seq).toBe(genuine.seq)
  })

  it('a roster chain with a forged amendment signature: refused, counted, logged', async () => {
    const [genesis] = await readRosterChainFile(join(fed.nodes[VICTIM]!.dataDir, 'roster.cbor'))
    const body = encodeRosterBody({
      kind: 'amendment',
      network: victim.roster.network,
      version: 1,
      prev: victim.roster.hash,
      createdAt: Date.now(),
      changes: [{ op: 'threshold', threshold: 1 }],
    })
    const signature = signRosterBody(attacker.identity, body)
    signature.signature[0]! ^= 0xff
    const amendment = encodeRosterDocument(body, [signature])
    // DE answers roster requests with the forged chain, then claims to be at version 1
    await attacker.host.unhandle(ROSTER_PROTOCOL)
    await attacker.host.handle(ROSTER_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      await lp.read()
      await lp.write(encode({ chain: [genesis!, amendment] }))
      await stream.close()
    })
    const signal = AbortSignal.timeout(GUARD_MS)
    const stream = await attacker.host.dialProtocol(victim.host.getMultiaddrs(), ROSTER_PROTOCOL, { signal })
    const lp = lpStream(stream)
    await lp.write(encode({ version: 1, head: new Uint8Array(randomBytes(32)) }), { signal })
    await lp.read({ signal })
    await stream.close()

    await until(
      async () => (await rejected('roster-bad-signature')) === 1,
      'the bad roster chain in the status',
      GUARD_MS,
    )
    expect(victim.roster.version).toBe(0)
    expect(logs.filter((l) => l.event === 'roster.rejected')).toEqual([
      expect.objectContaining({
        level: 'warn',
        reason: 'roster-bad-signature',
        protocol: 'roster',
        peer: attacker.identity.peerId.toString(),
        member: 'DE',
        rejectedSinceStart: 1,
      }),
    ])
  })

  it('a roster request that is not CBOR: refused, counted, logged', async () => {
    const signal = AbortSignal.timeout(GUARD_MS)
    const stream = await attacker.host.dialProtocol(victim.host.getMultiaddrs(), ROSTER_PROTOCOL, { signal })
    const lp = lpStream(stream)
    await lp.write(HTTP_GARBAGE, { signal })
    await lp.read({ signal }).catch(() => undefined)
    stream.abort(new Error('done'))
    await until(async () => (await rejected('roster-decode-failed')) === 1, 'the malformed request', GUARD_MS)
    expect(logs.filter((l) => l.reason === 'roster-decode-failed')).toEqual([
      expect.objectContaining({ event: 'roster.rejected', rejectedSinceStart: 1 }),
    ])
  })

  it('no log line carries a record or roster field, and the node keeps serving', async () => {
    const contact = testContact('DE')
    for (const secretish of [contact.phone, contact.email, contact.unit])
      expect(rawLogs.join('')).not.toContain(secretish)
    const h = await status()
    expect(h.rejected).toMatchObject({
      'dht-record-bad-signature': 3,
      'dht-record-stale': 1,
      'roster-bad-signature': 1,
      'roster-decode-failed': 1,
    })
    expect(h.connectedCountries).toContain('DE')
    expect((await victim.directory.lookup('DE', { sources: ['peer'] })).record.country).toBe('DE')
  })
})
