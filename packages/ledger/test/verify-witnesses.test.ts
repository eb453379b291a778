import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MlDsa44Signer, Signer } from '@pocnet/crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseCheckpoint, type SignedCheckpoint } from '../src/checkpoint.ts'
import { signCosignature, type WitnessKey } from '../src/cosignature.ts'
import type { Ledger } from '../src/ledger.ts'
import { signMlDsaCosignature } from '../src/mldsa-cosignature.ts'
import { formatSignatureLine, parseSignatureLine } from '../src/signed-note.ts'
import { WitnessCheck } from '../src/verify/witnesses.ts'
import { type VerifyOptions, verifyLedger } from '../src/verify.ts'
import { NodeIdentity, ORIGIN, openTestLedger, sampleEvent, tempDir } from './fixtures/ledger.ts'

let dir: { path: string; cleanup: () => Promise<void> }
let identity: NodeIdentity

beforeEach(async () => {
  dir = await tempDir()
  identity = NodeIdentity.generate()
})
afterEach(async () => {
  await dir.cleanup()
})

/** Member n's witness: it cosigns under its own log's origin with its (roster) key. */
const memberOf = (cc: string, n: number) => {
  const signer = new Signer(new Uint8Array(32).fill(60 + n))
  return { name: `pocnet.invalid/test-net/${cc}`, publicKey: signer.publicKey, signer }
}
const [it_, us, de] = [memberOf('IT', 1), memberOf('US', 2), memberOf('DE', 3)]
const outsider = memberOf('XX', 9)
const keyOf = (w: typeof it_): WitnessKey => ({ name: w.name, publicKey: w.publicKey })
const members = [keyOf(it_), keyOf(us), keyOf(de)]
const cosign = (w: typeof it_, cp: SignedCheckpoint, time: number) =>
  signCosignature(w, parseCheckpoint(cp.note).body, time)
const T = 1_800_000_000

/** A ledger of two checkpoints (sizes 3 and 5), closed, with `cosigned` applied first. */
async function ledgerDir(
  cosigned: (ledger: Ledger, first: SignedCheckpoint, latest: SignedCheckpoint) => Promise<void>,
): Promise<{ first: SignedCheckpoint; latest: SignedCheckpoint }> {
  const ledger = await openTestLedger(dir.path, identity)
  await ledger.appendBatch([0, 1, 2].map(sampleEvent))
  const first = await ledger.checkpoint()
  await ledger.appendBatch([3, 4].map(sampleEvent))
  const latest = await ledger.checkpoint()
  await cosigned(ledger, first, latest)
  await ledger.close()
  return { first, latest }
}

const verify = (options: Partial<VerifyOptions> = {}) =>
  verifyLedger(dir.path, { publicKey: identity.signingPublicKey, origin: ORIGIN, threads: 0, ...options })

describe('the witness requirement of verifyLedger', () => {
  it('passes when the latest checkpoint carries k valid cosignatures of distinct members, and lists them all', async () => {
    await ledgerDir(async (ledger, first, latest) => {
      await ledger.addCosignatures(first.size, [cosign(it_, first, T)])
      await ledger.addCosignatures(latest.size, [cosign(it_, latest, T + 60), cosign(us, latest, T + 61)])
    })
    const report = await verify({ witnesses: { keys: members, min: 2 } })
    expect(report.problem).toBeUndefined()
    expect(report.ok).toBe(true)
    expect(report.witnesses).toEqual({
      required: 2,
      size: 5,
      cosigners: [it_.name, us.name],
      met: true,
      largestCosignedSize: 5,
    })
    expect(report.cosignatures).toEqual([
      { size: 3, name: it_.name, timestamp: T, kind: 'ed25519', status: 'valid' },
      { size: 5, name: it_.name, timestamp: T + 60, kind: 'ed25519', status: 'valid' },
      { size: 5, name: us.name, timestamp: T + 61, kind: 'ed25519', status: 'valid' },
    ])
  })

  it('fails when fewer than k cosigned the latest, saying who did, when, what is required and what was', async () => {
    await ledgerDir(async (ledger, first, latest) => {
      await ledger.addCosignatures(first.size, [cosign(it_, first, T), cosign(us, first, T)])
      await ledger.addCosignatures(latest.size, [cosign(de, latest, T + 60)])
    })
    const report = await verify({ witnesses: { keys: members, min: 2 } })
    expect(report.ok).toBe(false)
    expect(report.entries).toBe(5)
    expect(report.problem?.seq).toBeUndefined()
    expect(report.problem?.reason).toBe(
      `the latest checkpoint (size 5) carries 1 valid cosignature(s) of distinct current members ` +
        `(${de.name} at 2027-01-15T08:01:00.000Z), 2 required; the largest checkpoint that carries 2 is of ` +
        `size 3; entries after it are vouched for by the log's own signature alone`,
    )
    expect(report.witnesses).toMatchObject({ required: 2, size: 5, cosigners: [de.name], met: false })
    // k = 0 requires nothing, but still lists and checks
    const off = await verify({ witnesses: { keys: members, min: 0 } })
    expect(off.ok).toBe(true)
    expect(off.witnesses).toBeUndefined()
    expect(off.cosignatures).toHaveLength(3)
  })

  it('fails a ledger with no cosignature, or no checkpoint at all, when k is above 0', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    await ledger.appendBatch([0, 1].map(sampleEvent))
    await ledger.close() // which signs a checkpoint of the last entries
    const bare = await verify({ witnesses: { keys: members, min: 1 } })
    expect(bare.problem?.reason).toMatch(
      /carries 0 valid cosignature\(s\).*1 required; no checkpoint carries 1$/,
    )
    // a ledger never checkpointed (accepted with its unsigned tail) has nothing to be cosigned
    const check = new WitnessCheck(ORIGIN, [identity.signingPublicKey], members)
    expect(() => check.require({ keys: members, min: 1 }, undefined)).toThrow(
      'no signed checkpoint, so no cosignature: 1 required',
    )
  })

  it('ignores and lists a key the roster does not give to a current member, and the log itself', async () => {
    // the log's own key listed as a member's (ZZ) is still not a witness of its own log
    const selfAsMember = { name: 'pocnet.invalid/test-net/ZZ', publicKey: identity.signingPublicKey }
    await ledgerDir(async (ledger, _first, latest) => {
      await ledger.addCosignatures(latest.size, [
        cosign(outsider, latest, T),
        cosign({ ...it_, name: us.name }, latest, T), // IT's key under US's name
        cosign({ ...selfAsMember, signer: identity.signer }, latest, T),
        // a line under the log's own name is one of its signatures, not a witness's: not listed
        cosign({ name: ORIGIN, publicKey: identity.signingPublicKey, signer: identity.signer }, latest, T),
        cosign(it_, latest, T + 1),
      ])
    })
    const report = await verify({ witnesses: { keys: [...members, selfAsMember], min: 2 } })
    expect(report.ok).toBe(false)
    expect(report.problem?.reason).toMatch(
      /carries 1 valid cosignature\(s\).*\(pocnet.invalid\/test-net\/IT at .*\), 2 required; 3 line\(s\) by keys that are not current members' were ignored/,
    )
    expect(report.cosignatures.map((c) => [c.name, c.status])).toEqual([
      [outsider.name, 'unknown-key'],
      [us.name, 'unknown-key'],
      [selfAsMember.name, 'unknown-key'],
      [it_.name, 'valid'],
    ])
  })

  it('counts two lines of one member once', async () => {
    const { latest } = await ledgerDir(async (ledger, _first, latest) => {
      await ledger.addCosignatures(latest.size, [cosign(it_, latest, T)])
    })
    // the checkpoint file holds a second line by IT (the ledger itself keeps one per witness)
    await writeFile(join(dir.path, 'checkpoint'), `${latest.note}${cosign(it_, latest, T + 5)}\n`)
    const report = await verify({ witnesses: { keys: members, min: 2 } })
    expect(report.ok).toBe(false)
    expect(report.witnesses?.cosigners).toEqual([it_.name])
    expect(report.cosignatures.map((c) => [c.timestamp, c.status])).toEqual([
      [T, 'valid'],
      [T + 5, 'duplicate'],
    ])
    expect((await verify({ witnesses: { keys: members, min: 1 } })).ok).toBe(true)
  })

  it('counts a line by a key the member rotated away from as that member, listed as such, once', async () => {
    // IT cosigned size 3 with its old key, and size 5 with both (before and after its rotation)
    const itBefore = memberOf('IT', 7)
    await ledgerDir(async (ledger, first, latest) => {
      await ledger.addCosignatures(first.size, [cosign(itBefore, first, T)])
      await ledger.addCosignatures(latest.size, [cosign(itBefore, latest, T + 1), cosign(us, latest, T + 2)])
      await ledger.addCosignatures(latest.size, [cosign(it_, latest, T + 3)])
    })
    const withRetired = [...members, { ...keyOf(itBefore), retired: true as const }]
    const report = await verify({ witnesses: { keys: withRetired, min: 2 } })
    expect(report.ok).toBe(true)
    expect(report.witnesses?.cosigners).toEqual([it_.name, us.name])
    expect(report.cosignatures.map((c) => [c.size, c.timestamp, c.status, c.retiredKey ?? false])).toEqual([
      [3, T, 'valid', true],
      [5, T + 1, 'valid', true],
      [5, T + 2, 'valid', false],
      [5, T + 3, 'duplicate', false],
    ])
    // without the retired key (a revoked one is never given), the old lines are unknown
    const current = await verify({ witnesses: { keys: members, min: 2 } })
    expect(current.cosignatures.filter((c) => c.status === 'unknown-key')).toHaveLength(2)
  })

  it("fails on a member's cosignature that does not verify, naming the size, even when k is 0", async () => {
    const { first, latest } = await ledgerDir(async () => {})
    // US cosigned another tree of size 5 than the one the log now shows
    const other = { ...latest, note: first.note.replace('\n3\n', '\n5\n') }
    await writeFile(join(dir.path, 'checkpoint'), `${latest.note}${cosign(us, other, T)}\n`)
    for (const min of [0, 1]) {
      const report = await verify({ witnesses: { keys: members, min } })
      expect(report.ok).toBe(false)
      expect(report.problem?.reason).toBe(
        `the cosignature by ${us.name} on the checkpoint of size 5 does not verify: the checkpoint was changed ` +
          `after that member cosigned it, or the line was (the witnesses' view and the log's differ at size 5)`,
      )
      expect(report.cosignatures).toEqual([
        { size: 5, name: us.name, timestamp: T, kind: 'ed25519', status: 'invalid' },
      ])
    }
    // without the members' keys, the line is only listed
    const unchecked = await verify()
    expect(unchecked.ok).toBe(true)
    expect(unchecked.cosignatures).toEqual([
      { size: 5, name: us.name, timestamp: T, kind: 'ed25519', status: 'unknown-key' },
    ])
  })

  it('reads the cosignatures an export bundle carries, with worker threads too', async () => {
    await ledgerDir(async (ledger, _first, latest) => {
      await ledger.addCosignatures(latest.size, [cosign(it_, latest, T), cosign(de, latest, T)])
      await ledger.export(join(dir.path, 'fr.pnlb'))
    })
    const bundle = join(dir.path, 'fr.pnlb')
    const options = { publicKey: identity.signingPublicKey, witnesses: { keys: members, min: 2 } }
    for (const threads of [0, 2]) {
      const report = await verifyLedger(bundle, { ...options, threads, parallelFrom: 1, chunkEntries: 2 })
      expect(report.ok).toBe(true)
      expect(report.witnesses?.cosigners).toEqual([de.name, it_.name])
    }
    const short = await verifyLedger(bundle, { ...options, witnesses: { keys: members, min: 3 } })
    expect(short.problem?.reason).toMatch(/carries 2 valid cosignature\(s\)/)
  })
})

describe('the post-quantum witness requirement of verifyLedger', () => {
  // IT and US have ML-DSA-44 witness keys in the roster; DE has none
  const pq = { IT: MlDsa44Signer.generate(), US: MlDsa44Signer.generate() }
  const pqMembers = [
    { ...keyOf(it_), mlDsaPublicKey: pq.IT.publicKey },
    { ...keyOf(us), mlDsaPublicKey: pq.US.publicKey },
    keyOf(de),
  ]
  const pqCosign = (w: typeof it_, signer: MlDsa44Signer, cp: SignedCheckpoint, time: number) =>
    signMlDsaCosignature(
      { name: w.name, publicKey: signer.publicKey, signer },
      parseCheckpoint(cp.note).body,
      time,
    )

  it('passes when k members cosigned with ML-DSA-44, and lists the kind of every line', async () => {
    await ledgerDir(async (ledger, _first, latest) => {
      await ledger.addCosignatures(latest.size, [
        cosign(it_, latest, T),
        pqCosign(it_, pq.IT, latest, T),
        cosign(us, latest, T + 1),
        pqCosign(us, pq.US, latest, T + 1),
        cosign(de, latest, T + 2),
      ])
    })
    const report = await verify({ witnesses: { keys: pqMembers, min: 3, minPostQuantum: 2 } })
    expect(report.problem).toBeUndefined()
    expect(report.witnesses).toEqual({
      required: 3,
      size: 5,
      cosigners: [de.name, it_.name, us.name],
      met: true,
      largestCosignedSize: 5,
      postQuantum: { required: 2, cosigners: [it_.name, us.name], met: true },
    })
    expect(report.cosignatures.map((c) => [c.name, c.kind, c.status])).toEqual([
      [it_.name, 'ed25519', 'valid'],
      [it_.name, 'ml-dsa-44', 'valid'],
      [us.name, 'ed25519', 'valid'],
      [us.name, 'ml-dsa-44', 'valid'],
      [de.name, 'ed25519', 'valid'],
    ])
  })

  it('fails when too few ML-DSA-44 cosignatures are there, naming who cosigned with Ed25519 only', async () => {
    await ledgerDir(async (ledger, first, latest) => {
      await ledger.addCosignatures(first.size, [
        pqCosign(it_, pq.IT, first, T),
        pqCosign(us, pq.US, first, T),
      ])
      await ledger.addCosignatures(latest.size, [
        cosign(it_, latest, T + 60),
        pqCosign(it_, pq.IT, latest, T + 60),
        cosign(us, latest, T + 61),
      ])
    })
    const report = await verify({ witnesses: { keys: pqMembers, min: 2, minPostQuantum: 2 } })
    expect(report.ok).toBe(false)
    expect(report.problem?.reason).toBe(
      `the latest checkpoint (size 5) carries 1 valid ML-DSA-44 cosignature(s) of distinct current members (${it_.name}), ` +
        `2 required; ${us.name} cosigned with Ed25519 only; 1 member(s) have no ML-DSA-44 witness key in the roster; ` +
        `the largest checkpoint that does is of size 3; entries after it are vouched for by the log's own signature alone`,
    )
    expect(report.witnesses?.postQuantum).toEqual({ required: 2, cosigners: [it_.name], met: false })
    // the same ledger meets a requirement of Ed25519 cosignatures alone
    expect((await verify({ witnesses: { keys: pqMembers, min: 2 } })).ok).toBe(true)
  })

  it("fails on a member's ML-DSA-44 line that is malformed or by another key, naming the kind", async () => {
    const { latest } = await ledgerDir(async () => {})
    const good = parseSignatureLine(pqCosign(it_, pq.IT, latest, T))
    const short = formatSignatureLine(it_.name, good.keyId, good.signature.subarray(0, 100))
    await writeFile(join(dir.path, 'checkpoint'), `${latest.note}${short}\n`)
    const malformed = await verify({ witnesses: { keys: pqMembers, min: 0 } })
    expect(malformed.problem?.reason).toBe(
      `the ML-DSA-44 cosignature line by ${it_.name} on the checkpoint of size 5 is malformed: the cosignature by ` +
        `${it_.name} must be an 8-byte timestamp and a 2420-byte ML-DSA-44 signature (2428 bytes after the key ID, not 100)`,
    )
    // IT's key ID, but US's ML-DSA-44 key signed it
    const forged = parseSignatureLine(pqCosign(it_, pq.US, latest, T))
    await writeFile(
      join(dir.path, 'checkpoint'),
      `${latest.note}${formatSignatureLine(it_.name, good.keyId, forged.signature)}\n`,
    )
    const wrongKey = await verify({ witnesses: { keys: pqMembers, min: 0 } })
    expect(wrongKey.problem?.reason).toMatch(
      new RegExp(`^the ML-DSA-44 cosignature by ${it_.name} on the checkpoint of size 5 does not verify`),
    )
    expect(wrongKey.cosignatures).toEqual([
      { size: 5, name: it_.name, timestamp: T, kind: 'ml-dsa-44', status: 'invalid' },
    ])
  })
})
