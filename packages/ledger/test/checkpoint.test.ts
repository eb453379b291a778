import { NodeIdentity, SignatureContext, sha256 } from '@pocnet/crypto'
import { describe, expect, it } from 'vitest'
import {
  checkpointBody,
  checkpointKeyId,
  checkpointOrigin,
  parseCheckpoint,
  signCheckpoint,
  verifyCheckpoint,
} from '../src/checkpoint.ts'
import { legacyCheckpointKeyId } from '../src/checkpoint-legacy.ts'
import { CheckpointFormatError } from '../src/errors.ts'

const identity = NodeIdentity.generate()
const origin = checkpointOrigin('net-1', 'FR')
const root = sha256(new TextEncoder().encode('root'))
const signed = signCheckpoint({ origin, size: 42, root }, identity.signer, identity.signingPublicKey)

describe('checkpoint notes', () => {
  it('have the C2SP tlog-checkpoint body and one signed-note signature line', () => {
    const b64 = Buffer.from(root).toString('base64')
    expect(checkpointBody({ origin, size: 42, root })).toBe(`pocnet.invalid/net-1/FR\n42\n${b64}\n`)
    const lines = signed.note.split('\n')
    expect(lines.slice(0, 4)).toEqual([origin, '42', b64, ''])
    expect(lines[4]!.startsWith(`\u2014 ${origin} `)).toBe(true)
    expect(lines[5]).toBe('')
    const sig = Buffer.from(lines[4]!.split(' ')[2]!, 'base64')
    expect(sig.length).toBe(4 + 64)
    expect(new Uint8Array(sig.subarray(0, 4))).toEqual(checkpointKeyId(origin, identity.signingPublicKey))
  })

  it('key IDs follow signed-note Ed25519: SHA-256(name || 0x0A || 0x01 || key)[:4]', () => {
    const expected = sha256(
      new TextEncoder().encode(`${origin}\n`),
      new Uint8Array([0x01]),
      identity.signingPublicKey,
    ).subarray(0, 4)
    expect(checkpointKeyId(origin, identity.signingPublicKey)).toEqual(expected)
  })

  it('legacy key IDs follow signed-note: SHA-256(name || 0x0A || 0xff || identifier || key)[:4]', () => {
    const expected = sha256(
      new TextEncoder().encode(`${origin}\n`),
      new Uint8Array([0xff]),
      new TextEncoder().encode('pocnet/checkpoint/v1'),
      identity.signingPublicKey,
    ).subarray(0, 4)
    expect(legacyCheckpointKeyId(origin, identity.signingPublicKey)).toEqual(expected)
  })

  it('are signed as plain Ed25519 over the body, as signed-note type 0x01 says', () => {
    const body = new TextEncoder().encode(checkpointBody({ origin, size: 42, root }))
    const sig = Buffer.from(signed.note.split('\n')[4]!.split(' ')[2]!, 'base64').subarray(4)
    expect(new Uint8Array(sig)).toEqual(identity.signer.signNoteText(body))
  })

  it('written before, with the legacy domain-separated line, still verify', () => {
    const body = checkpointBody({ origin, size: 42, root })
    const sig = identity.signer.sign(SignatureContext.checkpoint, new TextEncoder().encode(body))
    const blob = Buffer.concat([legacyCheckpointKeyId(origin, identity.signingPublicKey), sig])
    const legacy = `${body}\n\u2014 ${origin} ${blob.toString('base64')}\n`
    expect(verifyCheckpoint(legacy, identity.signingPublicKey).size).toBe(42)
    expect(verifyCheckpoint(`${legacy}${signed.note.split('\n')[4]}\n`, identity.signingPublicKey).size).toBe(
      42,
    )
    const forged = legacy.replace('\n42\n', '\n43\n')
    expect(() => verifyCheckpoint(forged, identity.signingPublicKey)).toThrow(/does not verify/)
    expect(() => verifyCheckpoint(legacy, NodeIdentity.generate().signingPublicKey)).toThrow(/no signature/)
  })

  it('verify under the signing key and no other', () => {
    const cp = verifyCheckpoint(signed.note, identity.signingPublicKey)
    expect(cp.size).toBe(42)
    expect(cp.root).toEqual(root)
    expect(() => verifyCheckpoint(signed.note, NodeIdentity.generate().signingPublicKey)).toThrow(
      CheckpointFormatError,
    )
  })

  it('fail when the body is changed', () => {
    const forged = signed.note.replace('\n42\n', '\n43\n')
    expect(() => verifyCheckpoint(forged, identity.signingPublicKey)).toThrow(/does not verify/)
  })

  it('ignore signature lines of other keys', () => {
    const other = NodeIdentity.generate()
    const otherLine = signCheckpoint(
      { origin, size: 42, root },
      other.signer,
      other.signingPublicKey,
    ).note.split('\n')[4]!
    const twoSigs = `${signed.note}${otherLine}\n`
    expect(verifyCheckpoint(twoSigs, identity.signingPublicKey).size).toBe(42)
    const onlyOther = signed.note.replace(signed.note.split('\n')[4]!, otherLine)
    expect(() => verifyCheckpoint(onlyOther, identity.signingPublicKey)).toThrow(/no signature/)
  })

  it('reject malformed notes', () => {
    const bad = [
      signed.note.replace('\n\n', '\n'),
      signed.note.replace('\n42\n', '\n042\n'),
      signed.note.replace('\n42\n', '\n42\nextension\n'),
      signed.note.replace(`${origin}\n`, 'has space\n'),
      signed.note.replace('\u2014 ', '-- '),
      signed.note.replace('\n42\n', '\n4\t2\n'),
      signed.note.replace('\n42\n', '\n4\ud8002\n'),
      signed.note.replace('\n42\n', '\n4\udc002\n'),
      signed.note.slice(0, -1),
      `${'x'.repeat(5000)}\n${signed.note}`,
    ]
    for (const note of bad)
      expect(() => parseCheckpoint(note), JSON.stringify(note)).toThrow(CheckpointFormatError)
  })
})
