import type { NodeIdentity } from '@pocnet/crypto'
import { decode } from '@pocnet/protocol'
import { describe, expect, it } from 'vitest'
import {
  DECLARATION_CODES,
  type Declaration,
  type DirectoryRecord,
  decodeRecordBody,
  encodeRecordBody,
  RecordFieldError,
} from '../src/index.ts'
import { makeFounders, recordAt } from './fixtures/network.ts'

const NOW = 1_800_000_000_000
const f = makeFounders(1, 1)
const [fr] = f.identities as [NodeIdentity]
const [FR] = f.countries as [string]
const record = (over: Partial<DirectoryRecord> = {}) => recordAt(NOW, fr, FR, over)

describe('record declarations', () => {
  it('round-trips every coded declaration', () => {
    const r = record({ declarations: [...DECLARATION_CODES] })
    expect(decodeRecordBody(encodeRecordBody(r)).declarations).toEqual(DECLARATION_CODES)
  })

  it('leaves the field out when there is none, so older nodes read the record as before', () => {
    for (const declarations of [undefined, [] as Declaration[]]) {
      const bytes = encodeRecordBody(record(declarations === undefined ? {} : { declarations }))
      expect(Object.keys(decode(bytes) as object)).not.toContain('declarations')
      expect(bytes).toEqual(encodeRecordBody(record()))
      expect(decodeRecordBody(bytes).declarations).toBeUndefined()
    }
  })

  it('refuses an unknown code, naming the item and the codes allowed', () => {
    const bad = record({ declarations: ['art29-4-dual-criminality', 'art99'] as Declaration[] })
    const err = (() => {
      try {
        encodeRecordBody(bad)
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(RecordFieldError)
    expect((err as RecordFieldError).field).toBe('record.declarations[1]')
    expect((err as Error).message).toMatch(/must be one of art29-4-dual-criminality, /)
  })

  it('refuses a code given twice', () => {
    const twice = record({ declarations: ['sap10-9-via-24-7', 'sap10-9-via-24-7'] })
    expect(() => encodeRecordBody(twice)).toThrow(/declarations\[1\].*repeats/)
  })
})
