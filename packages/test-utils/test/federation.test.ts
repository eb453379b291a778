import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { readKeyFile, toHex } from '@pocnet/crypto'
import { readRosterChainFile, verifyRosterChain } from '@pocnet/directory'
import { DATA_DIR, readConfig } from '@pocnet/node'
import { afterAll, describe, expect, it } from 'vitest'
import { createFederation, type Federation, HarnessError } from '../src/index.ts'

describe('createFederation', () => {
  const made: Federation[] = []
  afterAll(async () => {
    for (const f of made) await f.cleanup()
  })

  it('writes every node with a verifying genesis roster signed by all founders', async () => {
    const fed = await createFederation({ countries: ['AA', 'BB', 'CC'], network: 'pocnet-unit' })
    made.push(fed)
    expect(fed.nodes.map((n) => n.country)).toEqual(['AA', 'BB', 'CC'])
    for (const node of fed.nodes) {
      const chain = await readRosterChainFile(join(node.dataDir, DATA_DIR.roster))
      const { state, documents } = verifyRosterChain(chain)
      expect(state.network).toBe('pocnet-unit')
      expect(state.version).toBe(0)
      expect(state.threshold).toBe(2)
      expect([...state.members.keys()].sort()).toEqual(['AA', 'BB', 'CC'])
      expect(toHex(state.members.get(node.country)!.publicKey)).toBe(toHex(node.identity.signingPublicKey))
      // every founder signed
      expect(documents[0]!.signatures.map((s) => toHex(s.publicKey)).sort()).toEqual(
        fed.nodes.map((n) => toHex(n.identity.signingPublicKey)).sort(),
      )
    }
  })

  it('wires configs: own fixed loopback port, the other nodes as bootstrap, edits applied', async () => {
    const fed = await createFederation({
      countries: ['AA', 'BB', 'CC'],
      configure: (c, country) => ({
        ...c,
        outbox: { ...c.outbox, initialBackoffMs: country === 'BB' ? 111 : 222 },
      }),
    })
    made.push(fed)
    expect(new Set(fed.nodes.map((n) => n.port)).size).toBe(3)
    for (const node of fed.nodes) {
      const config = await readConfig(node.dataDir) // validates
      expect(config.country).toBe(node.country)
      expect(config.network).toBe(fed.network)
      expect(config.listen).toEqual([`/ip4/127.0.0.1/tcp/${node.port}`])
      expect(config.bootstrap.sort()).toEqual(
        fed.nodes
          .filter((n) => n !== node)
          .map((n) => n.multiaddr)
          .sort(),
      )
      expect(config.outbox.initialBackoffMs).toBe(node.country === 'BB' ? 111 : 222)
      expect(node.multiaddr).toBe(`/ip4/127.0.0.1/tcp/${node.port}/p2p/${node.peerId}`)
    }
  })

  it('keeps the key encrypted under the passphrase in a private file', async () => {
    const fed = await createFederation({ countries: ['AA'] })
    made.push(fed)
    const node = fed.node('AA')
    expect((await stat(node.passphraseFile)).mode & 0o777).toBe(0o600)
    expect((await stat(node.dataDir)).mode & 0o777).toBe(0o700)
    const identity = await readKeyFile(join(node.dataDir, DATA_DIR.key), node.passphrase)
    expect(identity.peerId.toString()).toBe(node.peerId)
    await expect(readKeyFile(join(node.dataDir, DATA_DIR.key), `${node.passphrase}x`)).rejects.toThrow()
  })

  it('gives every node the passphrase it is told', async () => {
    const fed = await createFederation({ countries: ['AA', 'BB'], passphrase: 'one for all' })
    made.push(fed)
    for (const node of fed.nodes) {
      expect(node.passphrase).toBe('one for all')
      const identity = await readKeyFile(join(node.dataDir, DATA_DIR.key), 'one for all')
      expect(identity.peerId.toString()).toBe(node.peerId)
    }
  })

  it('removes its files on cleanup', async () => {
    const fed = await createFederation({ countries: ['AA', 'BB'] })
    await fed.cleanup()
    await expect(stat(fed.baseDir)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('refuses duplicate or missing countries', async () => {
    await expect(createFederation({ countries: ['AA', 'AA'] })).rejects.toBeInstanceOf(HarnessError)
    await expect(createFederation({ countries: [] })).rejects.toBeInstanceOf(HarnessError)
  })

  it('names an unknown node', async () => {
    const fed = await createFederation({ countries: ['AA'] })
    made.push(fed)
    expect(() => fed.node('ZZ')).toThrow(/no node ZZ/)
  })
})
