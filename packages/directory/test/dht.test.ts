import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NodeIdentity } from '@pocnet/crypto'
import { describe, expect, it } from 'vitest'
import {
  countryOfKey,
  DirectoryMemory,
  type DirectoryRecord,
  directoryDhtOptions,
  directoryKey,
  directorySelector,
  directoryValidator,
  FileDirectoryStore,
  RecordRejectedError,
  rosterConnectionGater,
  signRecord,
  verifyRosterChain,
} from '../src/index.ts'
import { makeFounders, recordAt } from './fixtures/network.ts'

const NOW = 1_800_000_000_000
const f = makeFounders(2, 1)
const [fr] = f.identities as [NodeIdentity, NodeIdentity]
const [FR, DE] = f.countries as [string, string]
const roster = verifyRosterChain(f.chain).state

const record = (identity: NodeIdentity, country: string, over: Partial<DirectoryRecord> = {}) =>
  recordAt(NOW, identity, country, over)

describe('DHT keys and options', () => {
  it('keys are /pocnet-dir/<CC> and map back to the country', () => {
    expect(new TextDecoder().decode(directoryKey(FR))).toBe(`/pocnet-dir/${FR}`)
    expect(countryOfKey(directoryKey(DE))).toBe(DE)
    expect(countryOfKey(new TextEncoder().encode('/pk/AA'))).toBeUndefined()
    expect(() => directoryKey('fr')).toThrow(TypeError)
  })

  it('the kad-dht options use the private protocol, server mode and the pocnet-dir rules', async () => {
    const options = directoryDhtOptions({ getRoster: () => roster, memory: await DirectoryMemory.open() })
    expect(options.protocol).toBe('/pocnet/kad/1.0.0')
    expect(options.clientMode).toBe(false)
    expect(Object.keys(options.validators ?? {})).toEqual(['pocnet-dir', 'pk'])
    // kad-dht's own /pk/ namespace is replaced by a validator that refuses everything
    await expect(async () => options.validators?.pk?.(new Uint8Array(8), new Uint8Array(8))).rejects.toThrow(
      /stores only \/pocnet-dir\//,
    )
    expect(Object.keys(options.selectors ?? {})).toEqual(['pocnet-dir'])
  })

  it('the gater admits current members only', async () => {
    const gater = rosterConnectionGater(() => roster)
    expect(await gater.denyDialPeer?.(fr.peerId)).toBe(false)
    const stranger = makeFounders(1, 1).identities[0]!
    expect(await gater.denyDialPeer?.(stranger.peerId)).toBe(true)
  })
})

describe('DHT validator and selector', () => {
  it('the validator refuses a seq lower than the highest seen, and remembers what it accepts', async () => {
    const memory = await DirectoryMemory.open()
    const validate = directoryValidator({ getRoster: () => roster, memory, now: () => NOW })
    const key = directoryKey(FR)
    await validate(key, signRecord(fr, record(fr, FR, { seq: 7 })))
    expect(memory.highestSeq(FR)).toBe(7)
    await validate(key, signRecord(fr, record(fr, FR, { seq: 7, unit: 'same seq' })))
    await expect(async () => validate(key, signRecord(fr, record(fr, FR, { seq: 6 })))).rejects.toThrow(
      /seq 7 was already seen/,
    )
    await expect(async () => validate(directoryKey(DE), signRecord(fr, record(fr, FR)))).rejects.toThrow(
      RecordRejectedError,
    )
    await expect(async () =>
      validate(new TextEncoder().encode('/pocnet-dir/FRA'), new Uint8Array()),
    ).rejects.toThrow(/not \/pocnet-dir\/<CC>/)
  })

  it('refuses a seq beyond the current time, and a remembered one from before that rule locks no one out', async () => {
    // a stolen key signing seq 2^53 - 1 would raise every node's "highest seen" out of reach
    const memory = await DirectoryMemory.open()
    const validate = directoryValidator({ getRoster: () => roster, memory, now: () => NOW })
    const key = directoryKey(FR)
    const farSeq = signRecord(fr, record(fr, FR, { seq: Number.MAX_SAFE_INTEGER }))
    await expect(async () => validate(key, farSeq)).rejects.toThrow(
      /has seq 9007199254740991, beyond the current time/,
    )
    await validate(key, signRecord(fr, record(fr, FR, { seq: NOW + 60_000 })))
    expect(memory.highestSeq(FR, NOW)).toBe(NOW + 60_000)
    // what an earlier version may have remembered: the next honest record still passes, and is remembered
    const poisoned = await DirectoryMemory.open()
    poisoned.observeSeq(FR, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
    expect(poisoned.highestSeq(FR, NOW)).toBe(0)
    const recover = directoryValidator({ getRoster: () => roster, memory: poisoned, now: () => NOW })
    await recover(key, signRecord(fr, record(fr, FR, { seq: NOW })))
    expect(poisoned.highestSeq(FR, NOW)).toBe(NOW)
  })

  it('the selector prefers the highest seq, then the latest expiry, and ranks garbage last', () => {
    const key = directoryKey(FR)
    const s3 = signRecord(fr, record(fr, FR, { seq: 3 }))
    const s9 = signRecord(fr, record(fr, FR, { seq: 9 }))
    const s9later = signRecord(fr, record(fr, FR, { seq: 9, expiresAt: NOW + 2 * 86_400_000 }))
    expect(directorySelector(key, [s3, s9, s9later])).toBe(2)
    expect(directorySelector(key, [s9later, s3, s9])).toBe(0)
    expect(directorySelector(key, [new Uint8Array([1, 2]), s3])).toBe(1)
  })

  it('the highest seq survives a restart through the state file, so a replay stays refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pocnet-dht-'))
    try {
      const path = join(dir, 'directory.json')
      const before = await DirectoryMemory.open(new FileDirectoryStore(path))
      await directoryValidator({ getRoster: () => roster, memory: before, now: () => NOW })(
        directoryKey(FR),
        signRecord(fr, record(fr, FR, { seq: 20 })),
      )
      await before.flush()
      const after = await DirectoryMemory.open(new FileDirectoryStore(path))
      const validate = directoryValidator({ getRoster: () => roster, memory: after, now: () => NOW })
      await expect(async () =>
        validate(directoryKey(FR), signRecord(fr, record(fr, FR, { seq: 19 }))),
      ).rejects.toThrow(RecordRejectedError)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
