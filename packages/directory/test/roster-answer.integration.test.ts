import { bytesEqual } from '@pocnet/crypto'
import { decode, encode } from '@pocnet/protocol'
import { requestOnce } from '@pocnet/protocol/reqresp'
import { waitFor } from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_ROSTER_CHAIN_BYTES, ROSTER_PROTOCOL } from '../src/constants.ts'
import {
  type Member,
  makeFounders,
  NETWORK,
  signedDocument,
  startMember,
  stopAll,
} from './fixtures/network.ts'

/**
 * Any member asking with version 0 is answered with the whole chain (up to 4 MiB) for a 1 KiB
 * request: the answer is encoded once per roster version and reused, not encoded per request.
 */
describe('roster answers', () => {
  const f = makeFounders(2, 1)
  const [aId, bId] = f.identities
  const [A, B] = f.countries as [string, string]
  let a: Member
  let b: Member
  let genesisHash: Uint8Array

  beforeAll(async () => {
    a = await startMember({ identity: aId!, country: A, chain: f.chain })
    b = await startMember({ identity: bId!, country: B, chain: f.chain })
    await b.libp2p.dial(a.libp2p.getMultiaddrs(), { signal: AbortSignal.timeout(5_000) })
    await waitFor(() => a.libp2p.getPeers().length > 0, 'A and B to connect')
    genesisHash = a.keeper.state.hash
  }, 30_000)

  afterAll(async () => {
    await stopAll([a, b])
  })

  /** A's answer to "I hold version 0" (the genesis), asked from B by hand. */
  const askFromGenesis = async (): Promise<Uint8Array> =>
    requestOnce(b.libp2p, a.libp2p.peerId, ROSTER_PROTOCOL, encode({ version: 0, head: genesisHash }), {
      maxResponseBytes: MAX_ROSTER_CHAIN_BYTES + 64,
      signal: AbortSignal.timeout(5_000),
      decode: (frame) => frame,
    })
  /** A adopts one more amendment (a threshold change signed by A alone). */
  const amendA = (): void => {
    const state = a.keeper.state
    const doc = signedDocument(
      {
        kind: 'amendment',
        network: NETWORK,
        version: state.version + 1,
        prev: state.hash,
        createdAt: Date.now(),
        changes: [{ op: 'threshold', threshold: 1 }],
      },
      [aId!],
    )
    expect(a.keeper.offer([...a.keeper.documents, doc])).toBe('adopted')
  }

  it('the chain is encoded once per roster version, however many members ask', async () => {
    amendA()
    // B may pull version 1 too (A announces it): that answer is the same encoding
    const answers: Uint8Array[] = []
    for (let i = 0; i < 20; i++) answers.push(await askFromGenesis())
    const { chain } = decode(answers[0]!, { maxBytes: MAX_ROSTER_CHAIN_BYTES + 64, maxDepth: 2 }) as {
      chain: Uint8Array[]
    }
    expect(chain.length).toBe(2)
    expect(answers.every((x) => bytesEqual(x, answers[0]!))).toBe(true)
    expect(a.sync.chainEncodings).toBe(1)

    // a new version is encoded anew, once
    amendA()
    for (let i = 0; i < 5; i++) {
      const { chain: next } = decode(await askFromGenesis(), {
        maxBytes: MAX_ROSTER_CHAIN_BYTES + 64,
        maxDepth: 2,
      }) as { chain: Uint8Array[] }
      expect(next.length).toBe(3)
    }
    expect(a.sync.chainEncodings).toBe(2)
  })
})
