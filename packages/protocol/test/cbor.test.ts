import { fromHex, toHex } from '@pocnet/crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  CborDecodeError,
  CborDuplicateKeyError,
  CborEncodeError,
  CborIndefiniteLengthError,
  CborIntegerRangeError,
  CborInvalidUtf8Error,
  CborMalformedError,
  CborMapKeyOrderError,
  CborMapKeyTypeError,
  CborNonCanonicalError,
  CborTooDeepError,
  CborTooLargeError,
  CborTrailingBytesError,
  CborTruncatedError,
  CborUnsupportedTypeError,
  type CborValue,
  DEFAULT_CBOR_MAX_DEPTH,
  decode,
  encode,
} from '../src/index.ts'

const hex = (h: string) => fromHex(h.replaceAll(' ', ''))

function decodeError(h: string, options?: Parameters<typeof decode>[1]): unknown {
  try {
    decode(hex(h), options)
  } catch (err) {
    return err
  }
  throw new Error(`decode(${h}) did not throw`)
}

describe('RFC 8949 Appendix A examples in the supported subset', () => {
  const accepted: [CborValue, string][] = [
    [0, '00'],
    [1, '01'],
    [10, '0a'],
    [23, '17'],
    [24, '1818'],
    [25, '1819'],
    [100, '1864'],
    [1000, '1903e8'],
    [1000000, '1a000f4240'],
    [1000000000000, '1b000000e8d4a51000'],
    [-1, '20'],
    [-10, '29'],
    [-100, '3863'],
    [-1000, '3903e7'],
    [false, 'f4'],
    [true, 'f5'],
    [null, 'f6'],
    [new Uint8Array(), '40'],
    [hex('01020304'), '4401020304'],
    ['', '60'],
    ['a', '6161'],
    ['IETF', '6449455446'],
    ['"\\', '62225c'],
    ['\u00fc', '62c3bc'],
    ['\u6c34', '63e6b0b4'],
    ['\ud800\udd51', '64f0908591'],
    [[], '80'],
    [[1, 2, 3], '83010203'],
    [[1, [2, 3], [4, 5]], '8301820203820405'],
    [
      Array.from({ length: 25 }, (_, i) => i + 1),
      '98190102030405060708090a0b0c0d0e0f101112131415161718181819',
    ],
    [{}, 'a0'],
    [{ a: 1, b: [2, 3] }, 'a26161016162820203'],
    [['a', { b: 'c' }], '826161a161626163'],
    [{ a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' }, 'a56161614161626142616361436164614461656145'],
  ]
  for (const [value, encoding] of accepted) {
    it(`${encoding} <-> ${JSON.stringify(value, (_, v) => (v instanceof Uint8Array ? toHex(v) : v))}`, () => {
      expect(toHex(encode(value))).toBe(encoding)
      expect(decode(hex(encoding))).toEqual(value)
    })
  }

  const rejected: [string, string, new (...args: never[]) => CborDecodeError][] = [
    ['18446744073709551615', '1bffffffffffffffff', CborIntegerRangeError],
    ['-18446744073709551616', '3bffffffffffffffff', CborIntegerRangeError],
    ['undefined', 'f7', CborUnsupportedTypeError],
    ['0.0 (half)', 'f90000', CborUnsupportedTypeError],
    ['1.1 (double)', 'fb3ff199999999999a', CborUnsupportedTypeError],
    ['100000.0 (single)', 'fa47c35000', CborUnsupportedTypeError],
    ['simple(16)', 'f0', CborUnsupportedTypeError],
    ['simple(255)', 'f8ff', CborUnsupportedTypeError],
    ['tag 0 date string', 'c074323031332d30332d32315432303a30343a30305a', CborUnsupportedTypeError],
    ['tag 2 bignum', 'c249010000000000000000', CborUnsupportedTypeError],
    ['indefinite bytes', '5f42010243030405ff', CborIndefiniteLengthError],
    ['indefinite text', '7f657374726561646d696e67ff', CborIndefiniteLengthError],
    ['indefinite array', '9fff', CborIndefiniteLengthError],
    ['indefinite map', 'bf61610161629f0203ffff', CborIndefiniteLengthError],
    ['{1: 2, 3: 4}', 'a201020304', CborMapKeyTypeError],
  ]
  for (const [name, encoding, errorClass] of rejected) {
    it(`rejects ${name} (${encoding}) with ${errorClass.name}`, () => {
      expect(decodeError(encoding)).toBeInstanceOf(errorClass)
    })
  }
})

describe('decode rejection rules, one hand-written byte string each', () => {
  const cases: [string, string, new (...args: never[]) => CborDecodeError][] = [
    ['trailing byte after an item', '0000', CborTrailingBytesError],
    ['trailing bytes after a map', 'a0ff', CborTrailingBytesError],
    ['empty input', '', CborTruncatedError],
    ['1-byte argument missing', '18', CborTruncatedError],
    ['8-byte argument cut short', '1b000000', CborTruncatedError],
    ['text shorter than its length', '626161'.slice(0, 4), CborTruncatedError],
    ['byte string length beyond the input', '5affffffff00', CborTruncatedError],
    ['array count beyond the input', '9b7fffffffffffffff', CborTruncatedError],
    ['map count beyond the input', 'a2616101', CborTruncatedError],
    ['0 in a 1-byte argument', '1800', CborNonCanonicalError],
    ['23 in a 1-byte argument', '1817', CborNonCanonicalError],
    ['255 in a 2-byte argument', '1900ff', CborNonCanonicalError],
    ['65535 in a 4-byte argument', '1a0000ffff', CborNonCanonicalError],
    ['2^32-1 in an 8-byte argument', '1b00000000ffffffff', CborNonCanonicalError],
    ['-1 in a 1-byte argument', '3800', CborNonCanonicalError],
    ['byte string length 0 in a 1-byte argument', '5800', CborNonCanonicalError],
    ['text length 1 in a 1-byte argument', '780161', CborNonCanonicalError],
    ['array count 0 in a 2-byte argument', '990000', CborNonCanonicalError],
    ['map count 1 in a 1-byte argument', 'b8016161f6', CborNonCanonicalError],
    ['unsorted keys {"b", "a"}', 'a2616201616102', CborMapKeyOrderError],
    ['longer key before shorter {"aa", "b"}', 'a262616101616202', CborMapKeyOrderError],
    ['duplicate key {"a", "a"}', 'a2616101616102', CborDuplicateKeyError],
    ['byte string map key', 'a1416101', CborMapKeyTypeError],
    ['integer map key', 'a10101', CborMapKeyTypeError],
    ['array map key', 'a18001', CborMapKeyTypeError],
    ['2^53 (unsigned)', '1b0020000000000000', CborIntegerRangeError],
    ['-(2^53) (negative)', '3b001fffffffffffff', CborIntegerRangeError],
    ['lone continuation byte', '6180', CborInvalidUtf8Error],
    ['0xff in text', '61ff', CborInvalidUtf8Error],
    ['bad continuation', '62c328', CborInvalidUtf8Error],
    ['overlong "/"', '62c0af', CborInvalidUtf8Error],
    ['UTF-8-encoded surrogate U+D800', '63eda080', CborInvalidUtf8Error],
    ['code point above U+10FFFF', '64f4908080', CborInvalidUtf8Error],
    ['invalid UTF-8 in a map key', 'a161ff01', CborInvalidUtf8Error],
    ['reserved additional information 28', '1c', CborMalformedError],
    ['reserved additional information 30 (negative)', '3e', CborMalformedError],
    ['reserved additional information 29 (bytes)', '5d', CborMalformedError],
    ['stray break', 'ff', CborMalformedError],
    ['indefinite unsigned integer', '1f', CborMalformedError],
  ]
  for (const [name, encoding, errorClass] of cases) {
    it(`${name}: ${encoding || '(empty)'} -> ${errorClass.name}`, () => {
      const err = decodeError(encoding)
      expect(err).toBeInstanceOf(errorClass)
      expect(err).toBeInstanceOf(CborDecodeError)
      expect((err as CborDecodeError).code).toMatch(/^ERR_CBOR_/)
    })
  }

  it('accepts the integer range boundaries ±(2^53−1)', () => {
    expect(decode(hex('1b001fffffffffffff'))).toBe(Number.MAX_SAFE_INTEGER)
    expect(decode(hex('3b001ffffffffffffe'))).toBe(-Number.MAX_SAFE_INTEGER)
  })

  it('keeps a leading byte order mark as content', () => {
    expect(decode(hex('63efbbbf'))).toBe('\ufeff')
    expect(toHex(encode('\ufeff'))).toBe('63efbbbf')
  })

  it('orders keys bytewise by encoding: shorter keys first, then by bytes', () => {
    expect(decode(hex('a361610261620162616103'))).toEqual({ a: 2, b: 1, aa: 3 })
  })

  it('refuses input over maxBytes before parsing it', () => {
    expect(decodeError('4401020304', { maxBytes: 4 })).toBeInstanceOf(CborTooLargeError)
    expect(decode(hex('4401020304'), { maxBytes: 5 })).toEqual(hex('01020304'))
  })

  it('refuses nesting deeper than maxDepth', () => {
    const nested = (levels: number) => `${'81'.repeat(levels)}00`
    expect(decode(hex(nested(DEFAULT_CBOR_MAX_DEPTH)))).toBeDefined()
    expect(decodeError(nested(DEFAULT_CBOR_MAX_DEPTH + 1))).toBeInstanceOf(CborTooDeepError)
    expect(decodeError('a161618100', { maxDepth: 1 })).toBeInstanceOf(CborTooDeepError)
    expect(decode(hex('a1616100'), { maxDepth: 1 })).toEqual({ a: 0 })
  })

  it('decodes maps into null-prototype objects, so "__proto__" is an ordinary key', () => {
    const value = decode(hex('a1695f5f70726f746f5f5f01')) as Record<string, CborValue>
    expect(Object.getPrototypeOf(value)).toBe(null)
    expect(Object.keys(value)).toEqual(['__proto__'])
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe(1)
  })

  it('returns byte strings that do not alias the input', () => {
    const input = hex('43010203')
    const value = decode(input) as Uint8Array
    input[1] = 0xff
    expect(value).toEqual(hex('010203'))
  })
})

describe('encode', () => {
  it('sorts map keys by their encoding whatever the insertion order', () => {
    expect(toHex(encode({ b: 1, aa: 3, a: 2 }))).toBe('a361610261620162616103')
  })

  it('uses the shortest argument at each boundary', () => {
    const boundaries: [number, string][] = [
      [23, '17'],
      [24, '1818'],
      [255, '18ff'],
      [256, '190100'],
      [65535, '19ffff'],
      [65536, '1a00010000'],
      [2 ** 32 - 1, '1affffffff'],
      [2 ** 32, '1b0000000100000000'],
      [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
      [-24, '37'],
      [-25, '3818'],
      [-(2 ** 32) - 1, '3b0000000100000000'],
      [-Number.MAX_SAFE_INTEGER, '3b001ffffffffffffe'],
    ]
    for (const [n, h] of boundaries) expect(toHex(encode(n)), String(n)).toBe(h)
  })

  it('encodes -0 as 0', () => {
    expect(toHex(encode(-0))).toBe('00')
  })

  const bad: [string, unknown][] = [
    ['a fraction', 1.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['2^53', 2 ** 53],
    ['-(2^53)', -(2 ** 53)],
    ['a bigint', 1n],
    ['undefined', undefined],
    ['a map value that is undefined', { a: undefined }],
    ['a lone surrogate', '\ud800'],
    ['a lone surrogate in a key', { '\udc00': 1 }],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    [
      'an array nested too deep',
      JSON.parse('['.repeat(DEFAULT_CBOR_MAX_DEPTH + 1) + ']'.repeat(DEFAULT_CBOR_MAX_DEPTH + 1)),
    ],
  ]
  for (const [name, value] of bad) {
    it(`throws CborEncodeError for ${name}`, () => {
      expect(() => encode(value as CborValue)).toThrow(CborEncodeError)
    })
  }

  it('throws CborEncodeError for a cycle instead of overflowing the stack', () => {
    const cyclic: CborValue[] = []
    cyclic.push(cyclic)
    expect(() => encode(cyclic)).toThrow(CborEncodeError)
  })
})

const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }))
const { value: cborValue } = fc.letrec<{ value: CborValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.maxSafeInteger(),
    fc.integer({ min: -300, max: 70000 }),
    text,
    fc.uint8Array({ maxLength: 64 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(text, tie('value'), { maxKeys: 6 }),
  ),
}))

function decodesOrTypedError(bytes: Uint8Array): CborValue | CborDecodeError {
  try {
    return decode(bytes)
  } catch (err) {
    if (err instanceof CborDecodeError) return err
    throw err
  }
}

describe('properties', () => {
  it('decode(encode(v)) equals v, and re-encoding is byte-identical', () => {
    fc.assert(
      fc.property(cborValue, (value) => {
        const bytes = encode(value)
        const back = decode(bytes)
        expect(back).toEqual(value)
        expect(encode(back)).toEqual(bytes)
      }),
      { numRuns: 2000 },
    )
  })

  it('fuzz: random bytes give a value or a CborDecodeError, and any accepted input is canonical', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const result = decodesOrTypedError(bytes)
        if (!(result instanceof CborDecodeError)) expect(encode(result)).toEqual(bytes)
      }),
      { numRuns: 5000 },
    )
  })

  it('fuzz: mutated valid encodings give a value or a CborDecodeError, and any accepted input is canonical', () => {
    const mutation = fc.record({
      value: cborValue,
      edits: fc.array(
        fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')),
        {
          minLength: 1,
          maxLength: 4,
        },
      ),
    })
    fc.assert(
      fc.property(mutation, ({ value, edits }) => {
        const bytes = [...encode(value)]
        for (const [at, byte, kind] of edits) {
          const i = bytes.length === 0 ? 0 : at % bytes.length
          if (kind === 'set') bytes[i] = byte
          else if (kind === 'insert') bytes.splice(i, 0, byte)
          else bytes.splice(i, 1)
        }
        const input = Uint8Array.from(bytes)
        const result = decodesOrTypedError(input)
        if (!(result instanceof CborDecodeError)) expect(encode(result)).toEqual(input)
      }),
      { numRuns: 5000 },
    )
  })
})
