import { createHash, createPublicKey, verify } from 'node:crypto'
import { join } from 'node:path'
import { Signer } from '@pocnet/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addCosignatures } from '../src/cosigned-note.ts'
import { Witness } from '../src/witness/witness.ts'
import { NodeIdentity, ORIGIN, openTestLedger, sampleEvent, tempDir } from './fixtures/ledger.ts'

/*
 * A signed-note and cosignature/v1 verifier written from the C2SP text (c2sp.org/signed-note,
 * c2sp.org/tlog-cosignature) with node:crypto alone, sharing no code with @pocnet/ledger: what
 * any third party's verifier would do with a pocnet checkpoint and its witnesses' cosignatures.
 */

interface Line {
  name: string
  keyId: Buffer
  signature: Buffer
}

/** "text ending in newline, a blank line, then signature lines: em dash, space, name, space, base64, newline". */
function parseNote(note: string): { text: string; lines: Line[] } {
  for (const ch of note) {
    if (ch < ' ' && ch !== '\n') throw new Error('control character in note')
  }
  const split = note.lastIndexOf('\n\n')
  if (split < 0) throw new Error('no blank line')
  const sigs = note.slice(split + 2)
  if (!sigs.endsWith('\n')) throw new Error('last signature line has no newline')
  const lines = sigs
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const match = /^\u2014 ([^ +]+) ([A-Za-z0-9+/=]+)$/.exec(line)
      if (match === null) throw new Error(`malformed signature line ${line}`)
      const raw = Buffer.from(match[2]!, 'base64')
      if (raw.length < 5) throw new Error('signature too short')
      return { name: match[1]!, keyId: raw.subarray(0, 4), signature: raw.subarray(4) }
    })
  return { text: note.slice(0, split + 1), lines }
}

/** "key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]". */
function keyId(name: string, type: number, publicKey: Uint8Array): Buffer {
  return createHash('sha256')
    .update(`${name}\n`)
    .update(Buffer.from([type]))
    .update(publicKey)
    .digest()
    .subarray(0, 4)
}

function ed25519Verify(message: Buffer, signature: Buffer, publicKey: Uint8Array): boolean {
  const key = createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]),
    format: 'der',
    type: 'spki',
  })
  return verify(null, message, key, signature)
}

/** Ed25519 (type 0x01) over the note text: true if a line of this key verifies, throws if one fails. */
function verifyEd25519Note(note: string, name: string, publicKey: Uint8Array): string {
  const { text, lines } = parseNote(note)
  const id = keyId(name, 0x01, publicKey)
  const mine = lines.filter((l) => l.name === name && l.keyId.equals(id))
  if (mine.length === 0) throw new Error('no signature by the key')
  for (const l of mine) {
    if (!ed25519Verify(Buffer.from(text), l.signature, publicKey)) throw new Error('invalid signature')
  }
  return text
}

/** cosignature/v1: type 0x04, u64 big-endian timestamp || Ed25519 over "cosignature/v1\ntime <ts>\n" || text. */
function verifyCosignature(note: string, name: string, publicKey: Uint8Array): number {
  const { text, lines } = parseNote(note)
  const id = keyId(name, 0x04, publicKey)
  const mine = lines.filter((l) => l.name === name && l.keyId.equals(id))
  if (mine.length !== 1) throw new Error('expected one cosignature by the witness')
  const { signature } = mine[0]!
  if (signature.length !== 8 + 64) throw new Error('malformed cosignature')
  const timestamp = signature.readBigUInt64BE(0)
  const message = Buffer.from(`cosignature/v1\ntime ${timestamp}\n${text}`)
  if (!ed25519Verify(message, signature.subarray(8), publicKey)) throw new Error('invalid cosignature')
  return Number(timestamp)
}

let work: { path: string; cleanup: () => Promise<void> }
beforeAll(async () => {
  work = await tempDir()
})
afterAll(async () => {
  await work.cleanup()
})

describe('an independent C2SP verifier', () => {
  it("accepts a ledger's checkpoints and a witness's cosignatures on them", async () => {
    const identity = NodeIdentity.generate()
    const ledger = await openTestLedger(join(work.path, 'ledger'), identity)
    const witnessSigner = new Signer(new Uint8Array(32).fill(8))
    const witnessName = 'witness.pocnet.invalid/test-net/IT'
    const witness = await Witness.open({
      dir: join(work.path, 'witness'),
      cosigner: { name: witnessName, publicKey: witnessSigner.publicKey, signer: witnessSigner },
      logs: [{ origin: ORIGIN, publicKeys: [identity.signingPublicKey] }],
      now: () => Date.UTC(2026, 5, 1),
    })

    let held = 0
    for (const count of [3, 9, 20]) {
      await ledger.appendBatch(Array.from({ length: count }, (_, i) => sampleEvent(held + i)))
      const checkpoint = await ledger.checkpoint()
      const text = verifyEd25519Note(checkpoint.note, ORIGIN, identity.signingPublicKey)
      expect(text).toBe(`${ORIGIN}\n${ledger.size}\n${Buffer.from(await ledger.root()).toString('base64')}\n`)
      expect(() => verifyEd25519Note(checkpoint.note, ORIGIN, witnessSigner.publicKey)).toThrow()

      const proof = held === 0 ? [] : await ledger.consistencyProof(held, checkpoint.size)
      const cosigned = await witness.addCheckpoint({
        oldSize: held,
        consistencyProof: proof,
        checkpointNote: checkpoint.note,
      })
      const note = addCosignatures(checkpoint.note, [cosigned.cosignature])
      expect(verifyCosignature(note, witnessName, witnessSigner.publicKey)).toBe(Date.UTC(2026, 5, 1) / 1000)
      expect(verifyEd25519Note(note, ORIGIN, identity.signingPublicKey)).toBe(text)
      const forged = note.replace(`\n${checkpoint.size}\n`, `\n${checkpoint.size + 1}\n`)
      expect(() => verifyCosignature(forged, witnessName, witnessSigner.publicKey)).toThrow('invalid')
      held = checkpoint.size
    }
    await witness.close()
    await ledger.close()
  })
})
