import { readFileSync } from 'node:fs'
import { fromHex, Signer } from '@pocnet/crypto'
import { describe, expect, it } from 'vitest'
import { checkpointBody, parseCheckpoint, signCheckpoint, verifyCheckpoint } from '../src/checkpoint.ts'
import {
  cosignedMessage,
  parseCosignature,
  signCosignature,
  verifyCosignature,
  verifyCosignatures,
} from '../src/cosignature.ts'
import { addCosignatures } from '../src/cosigned-note.ts'
import { CheckpointFormatError, type NoteProblem } from '../src/errors.ts'
import { openNote } from '../src/signed-note.ts'
import { formatVerifierKey, parseVerifierKey } from '../src/verifier-key.ts'

/*
 * The C2SP signed-note and cosignature/v1 vectors (fixtures/c2sp-note-vectors/README.md): every
 * verdict must be the one Go's golang.org/x/mod/sumdb/note gives.
 */

interface NoteVector {
  case: string
  note: string
  verifierKeys: string[]
  valid: boolean
  text?: string
  verifiedSigners?: string[]
  referenceError?: string
}
interface CosignatureVector {
  case: string
  checkpointText: string
  cosigner: string
  timestamp: number
  keyIdHex: string
  signedMessage: string
  signatureLine: string
  valid: boolean
}
interface KeyVector {
  name: string
  seedHex: string
  publicKeyHex: string
  vkey: string
}
const vectors = JSON.parse(
  readFileSync(new URL('./fixtures/c2sp-note-vectors/vectors.json', import.meta.url), 'utf8'),
) as { notes: NoteVector[]; cosignatures: CosignatureVector[]; keys: KeyVector[] }

const keyNamed = (name: string) => vectors.keys.find((k) => k.name === name)!
const REFERENCE_ERRORS: Array<[RegExp, NoteProblem]> = [
  [/^malformed note$/, 'malformed'],
  [/^invalid signature for key /, 'invalid-signature'],
  [/^no verifiable signatures$/, 'no-verified-signature'],
]

function problemOf(referenceError: string): NoteProblem {
  const match = REFERENCE_ERRORS.find(([rule]) => rule.test(referenceError))
  if (match === undefined) throw new Error(`unknown reference error ${referenceError}`)
  return match[1]
}

/*
 * Go's JSON encoder writes an invalid UTF-8 byte as U+FFFD, so the note of this vector, as stored,
 * holds a valid name that Go would accept. Its verdict is about the bytes Go was given: the
 * replacement character stands for one invalid byte, put back here as 0xff.
 */
const INVALID_UTF8_CASE = 'unknown key line with invalid UTF-8 name'
function noteInput(v: NoteVector): string | Uint8Array {
  if (v.case !== INVALID_UTF8_CASE) return v.note
  const bytes = Buffer.from(v.note, 'utf8')
  const at = bytes.indexOf(Buffer.from('\ufffd', 'utf8'))
  return new Uint8Array(Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at + 3)]))
}

describe('C2SP signed-note vectors', () => {
  it('cover every verdict Go gives', () => {
    expect(vectors.notes.length).toBeGreaterThanOrEqual(10)
    expect(new Set(vectors.notes.map((v) => v.valid))).toEqual(new Set([true, false]))
  })

  it.each(vectors.notes.map((v) => [v.case, v] as const))('%s', (_, v) => {
    const verifiers = v.verifierKeys.map((k) => parseVerifierKey(k).verifier)
    const open = () => openNote(noteInput(v), verifiers)
    if (v.valid) {
      const opened = open()
      expect(opened.text).toBe(v.text)
      expect(opened.verifiedBy.map((by) => by.name)).toEqual(v.verifiedSigners)
    } else {
      let error: unknown
      try {
        open()
      } catch (err) {
        error = err
      }
      expect(error).toBeInstanceOf(CheckpointFormatError)
      expect((error as CheckpointFormatError).problem).toBe(problemOf(v.referenceError!))
    }
  })

  it('the invalid-UTF-8 vector as stored (U+FFFD, valid UTF-8) is accepted, as Go accepts it', () => {
    const v = vectors.notes.find((n) => n.case === INVALID_UTF8_CASE)!
    expect(
      openNote(
        v.note,
        v.verifierKeys.map((k) => parseVerifierKey(k).verifier),
      ).text,
    ).toBeDefined()
  })

  it('checkpoint verification gives the same verdicts for the notes opened with the log key alone', () => {
    const fr = keyNamed('pocnet.invalid/example/FR')
    // (checkpoints are read as strings: the invalid-UTF-8 bytes case belongs to openNote above)
    const checked = vectors.notes.filter(
      (v) => v.verifierKeys.length === 1 && v.verifierKeys[0] === fr.vkey && v.case !== INVALID_UTF8_CASE,
    )
    expect(checked.length).toBeGreaterThanOrEqual(8)
    for (const v of checked) {
      const verdict = (() => {
        try {
          verifyCheckpoint(v.note, fromHex(fr.publicKeyHex))
          return true
        } catch (err) {
          expect(err).toBeInstanceOf(CheckpointFormatError)
          return false
        }
      })()
      expect(verdict, v.case).toBe(v.valid)
    }
  })

  it('signCheckpoint writes the vector note byte for byte, and vkeys round-trip', () => {
    const fr = keyNamed('pocnet.invalid/example/FR')
    const signer = new Signer(fromHex(fr.seedHex))
    const reference = vectors.notes.find((v) => v.case === 'one signature')!
    const { checkpoint } = parseCheckpoint(reference.note)
    expect(signCheckpoint(checkpoint, signer, signer.publicKey).note).toBe(reference.note)
    for (const key of vectors.keys) {
      const parsed = parseVerifierKey(key.vkey)
      expect(formatVerifierKey(parsed.name, parsed.type, parsed.publicKey)).toBe(key.vkey)
      expect(Buffer.from(parsed.publicKey).toString('hex')).toBe(key.publicKeyHex)
    }
  })
})

describe('C2SP cosignature/v1 vectors', () => {
  const signedNote = vectors.notes.find((v) => v.case === 'one signature')!.note

  it.each(vectors.cosignatures.map((v) => [v.case, v] as const))('%s', (_, v) => {
    const witness = keyNamed(v.cosigner)
    const publicKey = fromHex(witness.publicKeyHex)
    const cosignature = parseCosignature(v.signatureLine)
    expect(cosignature.name).toBe(v.cosigner)
    expect(Buffer.from(cosignature.keyId).toString('hex')).toBe(v.keyIdHex)
    expect(cosignature.timestamp).toBe(v.timestamp)
    expect(Buffer.from(cosignedMessage(v.checkpointText, v.timestamp)).toString()).toBe(v.signedMessage)
    expect(verifyCosignature(v.checkpointText, cosignature, publicKey)).toBe(v.valid)

    const note = addCosignatures(signedNote, [v.signatureLine])
    expect(parseCheckpoint(note).body).toBe(v.checkpointText)
    const witnesses = [{ name: v.cosigner, publicKey }]
    if (v.valid) {
      expect(verifyCosignatures(note, witnesses)).toEqual([
        { name: v.cosigner, publicKey, timestamp: v.timestamp },
      ])
      const signer = new Signer(fromHex(witness.seedHex))
      const cosigner = { name: v.cosigner, publicKey, signer }
      expect(signCosignature(cosigner, checkpointBody(parseCheckpoint(note).checkpoint), v.timestamp)).toBe(
        v.signatureLine,
      )
      // and a vkey of type 0x04 verifies it through the generic note opener
      const vkey = parseVerifierKey(formatVerifierKey(v.cosigner, 0x04, publicKey))
      expect(openNote(note, [vkey.verifier]).verifiedBy.map((by) => by.name)).toEqual([v.cosigner])
    } else {
      expect(() => verifyCosignatures(note, witnesses)).toThrow(/does not verify/)
    }
  })
})
