import { Signer } from '@pocnet/crypto'
import { describe, expect, it } from 'vitest'
import { parseCheckpoint } from '../src/checkpoint.ts'
import {
  cosignatureKeyId,
  parseCosignature,
  signCosignature,
  verifyCosignatures,
} from '../src/cosignature.ts'
import { addCosignatures } from '../src/cosigned-note.ts'
import { CheckpointFormatError } from '../src/errors.ts'
import { formatSignatureLine } from '../src/signed-note.ts'
import { MemoryLog } from './fixtures/memory-log.ts'

const log = new MemoryLog('pocnet.invalid/test-net/FR', new Uint8Array(32).fill(1)).append(9)
const note = log.checkpoint().note
const text = parseCheckpoint(note).body
const witnessOf = (n: number) => {
  const signer = new Signer(new Uint8Array(32).fill(10 + n))
  return { name: `witness.example/w${n}`, publicKey: signer.publicKey, signer }
}
const [w1, w2, w3] = [witnessOf(1), witnessOf(2), witnessOf(3)]
const key = (w: typeof w1) => ({ name: w.name, publicKey: w.publicKey })

describe('cosignature/v1 lines on a note', () => {
  it('are added once each and verified per witness, the latest timestamp reported', () => {
    const lines = [
      signCosignature(w1, text, 100),
      signCosignature(w2, text, 200),
      signCosignature(w1, text, 150),
    ]
    const cosigned = addCosignatures(addCosignatures(note, lines), lines)
    expect(cosigned.split('\n').filter((l) => l.startsWith('\u2014')).length).toBe(4)
    expect(verifyCosignatures(cosigned, [key(w1), key(w2), key(w3)])).toEqual([
      { ...key(w1), timestamp: 150 },
      { ...key(w2), timestamp: 200 },
    ])
    expect(verifyCosignatures(note, [key(w1)])).toEqual([])
  })

  it('ignore lines of unknown keys, even with a known name or key ID, malformed or not', () => {
    const id = cosignatureKeyId(w1.name, w1.publicKey)
    const lines = [
      formatSignatureLine(w1.name, new Uint8Array([1, 2, 3, 4]), new Uint8Array(9)),
      formatSignatureLine('witness.example/other', id, new Uint8Array(9)),
      signCosignature(w1, text, 100),
    ]
    const cosigned = `${note}${lines.join('\n')}\n`
    expect(verifyCosignatures(cosigned, [key(w1)])).toEqual([{ ...key(w1), timestamp: 100 }])
  })

  it("refuse a known witness's malformed or failing line", () => {
    const id = cosignatureKeyId(w1.name, w1.publicKey)
    const short = `${note}${formatSignatureLine(w1.name, id, new Uint8Array(8 + 63))}\n`
    expect(() => verifyCosignatures(short, [key(w1)])).toThrow(/8-byte timestamp and a 64-byte/)
    const huge = new Uint8Array(72).fill(0xff)
    expect(() => parseCosignature(formatSignatureLine(w1.name, id, huge))).toThrow(CheckpointFormatError)
    const otherText = parseCheckpoint(log.append(1).checkpoint().note).body
    const wrong = `${note}${signCosignature(w1, otherText, 100)}\n`
    expect(() => verifyCosignatures(wrong, [key(w1)])).toThrow(/does not verify/)
    expect(() => addCosignatures(note, ['not a line'])).toThrow(CheckpointFormatError)
  })
})
