import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { MlDsa44Signer, Signer, sha256 } from '@pocnet/crypto'
import { describe, expect, it } from 'vitest'
import { checkpointBody, parseCheckpoint, signCheckpoint } from '../src/checkpoint.ts'
import { cosignatureKeyId, signCosignature, verifyCosignatures } from '../src/cosignature.ts'
import { checkCosignatureOf, parseAnyCosignature } from '../src/cosignature-kind.ts'
import { addCosignatures, mergeCosignatureLines } from '../src/cosigned-note.ts'
import { CheckpointFormatError } from '../src/errors.ts'
import {
  mlDsaCosignatureKeyId,
  parseMlDsaCosignature,
  signMlDsaCosignature,
  subtreeCosignedMessage,
  verifyMlDsaCosignature,
} from '../src/mldsa-cosignature.ts'
import { formatSignatureLine, openNote, parseSignatureLine, splitNote } from '../src/signed-note.ts'
import { formatVerifierKey, parseVerifierKey } from '../src/verifier-key.ts'

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/torchwood-mldsa/${name}`, import.meta.url), 'utf8')

// One key for the whole file: key generation is the slow part of ML-DSA.
const witness = MlDsa44Signer.generate()
const other = MlDsa44Signer.generate()
const logSigner = new Signer(new Uint8Array(32).fill(7))
const NAME = 'pocnet.invalid/test/FR'
const cosigner = { name: NAME, publicKey: witness.publicKey, signer: witness }
const checkpoint = signCheckpoint(
  { origin: 'pocnet.invalid/test/DE', size: 5, root: sha256(new Uint8Array([1])) },
  logSigner,
  logSigner.publicKey,
)
const text = checkpointBody(checkpoint)

/** The cosigned_message written out here from the spec's struct, independently of the module. */
function specMessage(
  name: string,
  timestamp: bigint,
  origin: string,
  size: bigint,
  root: Uint8Array,
): Buffer {
  const u64 = (n: bigint) => {
    const b = Buffer.alloc(8)
    b.writeBigUInt64BE(n)
    return b
  }
  const opaque8 = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)])
  return Buffer.concat([
    Buffer.from('subtree/v1\n\x00', 'latin1'),
    opaque8(name),
    u64(timestamp),
    opaque8(origin),
    u64(0n),
    u64(size),
    Buffer.from(root),
  ])
}

describe('ML-DSA-44 cosignatures (c2sp.org/tlog-cosignature, type 0x06)', () => {
  it("verify torchwood's published cosignature, and refuse it on another tree", () => {
    const vkey = parseVerifierKey(fixture('log.vkey').trim())
    expect(vkey.type).toBe(0x06)
    expect(vkey.publicKey).toHaveLength(1312)
    const note = fixture('checkpoint.note')
    expect(openNote(note, [vkey.verifier]).verifiedBy).toEqual([vkey.verifier])
    const line = splitNote(note).signatures[0]!
    const cosignature = parseMlDsaCosignature(line.line)
    expect(cosignature.timestamp).toBe(0)
    const { text: body } = splitNote(note)
    expect(verifyMlDsaCosignature(body, cosignature, vkey.publicKey)).toBe(true)
    // the same line on size 2 of the same root: the signed tree differs
    expect(verifyMlDsaCosignature(body.replace('\n1\n', '\n2\n'), cosignature, vkey.publicKey)).toBe(false)
    expect(() => openNote(note.replace('\n1\n', '\n2\n'), [vkey.verifier])).toThrow(/does not verify/)
    // the vkey this module writes is the one torchwood published
    expect(formatVerifierKey(vkey.name, 0x06, vkey.publicKey)).toBe(fixture('log.vkey').trim())
  })

  it('sign the cosigned_message of the spec: checked against an independent writing of it and raw ML-DSA', () => {
    const timestamp = 1_767_225_600
    const message = specMessage(NAME, BigInt(timestamp), checkpoint.origin, 5n, checkpoint.root)
    expect(Buffer.from(subtreeCosignedMessage(NAME, timestamp, checkpoint))).toEqual(message)

    const line = signMlDsaCosignature(cosigner, text, timestamp)
    const raw = parseSignatureLine(line)
    expect(raw.name).toBe(NAME)
    // key ID: SHA-256(name ‖ 0x0A ‖ 0x06 ‖ public key)[:4]
    const keyId = sha256(Buffer.from(`${NAME}\n`), new Uint8Array([0x06]), witness.publicKey).subarray(0, 4)
    expect(Buffer.from(raw.keyId)).toEqual(Buffer.from(keyId))
    expect(raw.signature).toHaveLength(8 + 2420)
    expect(Buffer.from(raw.signature).readBigUInt64BE(0)).toBe(BigInt(timestamp))
    const publicKey = createPublicKey({
      key: Buffer.from(witness.publicKey),
      format: 'raw-public',
      asymmetricKeyType: 'ml-dsa-44',
    })
    expect(nodeVerify(null, message, publicKey, raw.signature.subarray(8))).toBe(true)
    expect(verifyMlDsaCosignature(text, parseMlDsaCosignature(line), witness.publicKey)).toBe(true)
  })

  it('accept a signature made over the independently written message with raw ML-DSA', () => {
    const key = createPrivateKey({
      key: Buffer.from(witness.seed),
      format: 'raw-seed',
      asymmetricKeyType: 'ml-dsa-44',
    })
    const signature = nodeSign(null, specMessage(NAME, 42n, checkpoint.origin, 5n, checkpoint.root), key)
    const bytes = Buffer.concat([Buffer.alloc(8), signature])
    bytes.writeBigUInt64BE(42n)
    const line = formatSignatureLine(NAME, mlDsaCosignatureKeyId(NAME, witness.publicKey), bytes)
    expect(verifyMlDsaCosignature(text, parseMlDsaCosignature(line), witness.publicKey)).toBe(true)
  })

  it('bind the cosigner name, the timestamp, the origin, the size and the root', () => {
    const line = signMlDsaCosignature(cosigner, text, 100)
    const c = parseMlDsaCosignature(line)
    const changed = (patch: Partial<typeof c>) =>
      verifyMlDsaCosignature(text, { ...c, ...patch }, witness.publicKey)
    expect(changed({})).toBe(true)
    expect(changed({ timestamp: 101 })).toBe(false)
    expect(changed({ name: 'pocnet.invalid/test/IT' })).toBe(false)
    const other = (body: string) => verifyMlDsaCosignature(body, c, witness.publicKey)
    expect(other(text.replace('\n5\n', '\n6\n'))).toBe(false)
    expect(other(text.replace('test/DE', 'test/AT'))).toBe(false)
    expect(other(checkpointBody({ ...checkpoint, root: sha256(new Uint8Array([2])) }))).toBe(false)
    expect(other(`${text}extension\n`)).toBe(false)
  })

  it('refuse an empty tree whose root is not the hash of the empty string, as the spec says', () => {
    expect(() =>
      subtreeCosignedMessage(NAME, 1, { origin: checkpoint.origin, size: 0, root: checkpoint.root }),
    ).toThrow(/SHA-256 of the empty string/)
    expect(
      subtreeCosignedMessage(NAME, 1, { origin: checkpoint.origin, size: 0, root: sha256() }),
    ).toBeDefined()
  })

  it('refuse a malformed or wrong-length signature with a message naming the rule', () => {
    const line = signMlDsaCosignature(cosigner, text, 100)
    const raw = parseSignatureLine(line)
    const cut = formatSignatureLine(NAME, raw.keyId, raw.signature.subarray(0, 8 + 2419))
    expect(() => parseMlDsaCosignature(cut)).toThrow(CheckpointFormatError)
    expect(() => parseMlDsaCosignature(cut)).toThrow(
      /must be an 8-byte timestamp and a 2420-byte ML-DSA-44 signature \(2428 bytes after the key ID, not 2427\)/,
    )
    expect(() => parseAnyCosignature(cut)).toThrow(/72 or 2428 bytes after the key ID, not 2427/)
    expect(() => parseMlDsaCosignature(`— ${NAME} not*base64`)).toThrow(/not canonical base64/)
    // a changed signature byte, or a signature by another key, does not verify
    const flipped = Buffer.from(raw.signature)
    flipped[100]! ^= 1
    const bad = parseMlDsaCosignature(formatSignatureLine(NAME, raw.keyId, flipped))
    expect(verifyMlDsaCosignature(text, bad, witness.publicKey)).toBe(false)
    expect(verifyMlDsaCosignature(text, parseMlDsaCosignature(line), other.publicKey)).toBe(false)
  })

  it('refuse a line under the Ed25519 key ID that carries ML-DSA bytes, naming the Ed25519 form', () => {
    const ed = new Signer(new Uint8Array(32).fill(9))
    const keys = { name: NAME, publicKey: ed.publicKey, mlDsaPublicKey: witness.publicKey }
    const mlDsaBytes = parseSignatureLine(signMlDsaCosignature(cosigner, text, 100)).signature
    const forged = formatSignatureLine(NAME, cosignatureKeyId(NAME, ed.publicKey), mlDsaBytes)
    expect(() => checkCosignatureOf(text, forged, 'ed25519', keys)).toThrow(
      /must be an 8-byte timestamp and a 64-byte Ed25519 signature \(72 bytes after the key ID, not 2428\)/,
    )
    const note = addCosignatures(checkpoint.note, [forged])
    expect(() => verifyCosignatures(note, [keys])).toThrow(/64-byte Ed25519 signature/)
    // and the other way round: Ed25519 bytes under the ML-DSA key ID
    const edBytes = parseSignatureLine(
      signCosignature({ name: NAME, publicKey: ed.publicKey, signer: ed }, text, 1),
    ).signature
    const swapped = formatSignatureLine(NAME, mlDsaCosignatureKeyId(NAME, witness.publicKey), edBytes)
    expect(() => checkCosignatureOf(text, swapped, 'ml-dsa-44', keys)).toThrow(
      /2420-byte ML-DSA-44 signature/,
    )
  })

  it('keep an Ed25519 and an ML-DSA-44 line of one witness on the note, each once', () => {
    const ed = new Signer(new Uint8Array(32).fill(9))
    const edLine = signCosignature({ name: NAME, publicKey: ed.publicKey, signer: ed }, text, 100)
    const pqLine = signMlDsaCosignature(cosigner, text, 100)
    const merged = mergeCosignatureLines(checkpoint.note, [edLine, pqLine, pqLine])
    expect(merged.added).toBe(2)
    expect(parseCheckpoint(merged.note).signatures.map((s) => s.line)).toEqual([
      splitNote(checkpoint.note).signatures[0]!.line,
      edLine,
      pqLine,
    ])
    // sixteen ML-DSA-44 lines (what signed-note says a reader must take) fit a note
    const many = Array.from({ length: 16 }, (_, i) =>
      signMlDsaCosignature({ ...cosigner, name: `w${i}.example` }, text, 100),
    )
    expect(mergeCosignatureLines(checkpoint.note, many).added).toBe(16)
  })

  it('read and write vkeys of type 0x06, refusing a wrong key length', () => {
    const vkey = formatVerifierKey(NAME, 0x06, witness.publicKey)
    const parsed = parseVerifierKey(vkey)
    expect(parsed.type).toBe(0x06)
    const note = addCosignatures(checkpoint.note, [signMlDsaCosignature(cosigner, text, 7)])
    expect(openNote(note, [parsed.verifier]).verifiedBy).toEqual([parsed.verifier])
    const short = formatVerifierKey(NAME, 0x06, witness.publicKey.subarray(0, 1311))
    expect(() => parseVerifierKey(short)).toThrow(/an ML-DSA-44 public key is 1312 bytes/)
  })
})
