/** Base class of every error this package throws on purpose; `code` is stable, `message` is for people. */
export class ProtocolError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = new.target.name
    this.code = code
  }
}

/** A value cannot be encoded as pocnet's deterministic CBOR (a programming error on the sending side). */
export class CborEncodeError extends ProtocolError {
  constructor(message: string) {
    super('ERR_CBOR_ENCODE', message)
  }
}

/** Input bytes are not pocnet's deterministic CBOR. `offset` is where the decoder stopped. */
export class CborDecodeError extends ProtocolError {
  readonly offset: number
  constructor(code: string, message: string, offset: number) {
    super(code, `${message} (at byte ${offset})`)
    this.offset = offset
  }
}

/** The input is longer than the decoder's `maxBytes`. */
export class CborTooLargeError extends CborDecodeError {
  constructor(length: number, maxBytes: number) {
    super('ERR_CBOR_TOO_LARGE', `input is ${length} bytes; the limit is ${maxBytes}`, 0)
  }
}

/** Arrays and maps are nested deeper than the decoder's `maxDepth`. */
export class CborTooDeepError extends CborDecodeError {
  constructor(maxDepth: number, offset: number) {
    super('ERR_CBOR_TOO_DEEP', `arrays and maps nest deeper than ${maxDepth} levels`, offset)
  }
}

/** The input ends before the data item does. */
export class CborTruncatedError extends CborDecodeError {
  constructor(message: string, offset: number) {
    super('ERR_CBOR_TRUNCATED', `input ends early: ${message}`, offset)
  }
}

/** Bytes remain after the single top-level data item. */
export class CborTrailingBytesError extends CborDecodeError {
  constructor(offset: number, remaining: number) {
    super('ERR_CBOR_TRAILING_BYTES', `${remaining} bytes follow the data item`, offset)
  }
}

/** Not well-formed CBOR at all: reserved additional information 28-30, or a stray "break". */
export class CborMalformedError extends CborDecodeError {
  constructor(message: string, offset: number) {
    super('ERR_CBOR_MALFORMED', message, offset)
  }
}

/** An integer, length or count is not in its shortest form (RFC 8949 §4.2.1). */
export class CborNonCanonicalError extends CborDecodeError {
  constructor(value: number, offset: number) {
    super('ERR_CBOR_NON_CANONICAL', `argument ${value} is not encoded in its shortest form`, offset)
  }
}

/** An indefinite-length string, array or map (deterministic CBOR allows definite lengths only). */
export class CborIndefiniteLengthError extends CborDecodeError {
  constructor(offset: number) {
    super('ERR_CBOR_INDEFINITE_LENGTH', 'indefinite lengths are not allowed', offset)
  }
}

export type CborUnsupportedFeature = 'float' | 'tag' | 'undefined' | 'simple-value'

/** A well-formed CBOR item outside pocnet's subset: floats, tags, undefined, other simple values. */
export class CborUnsupportedTypeError extends CborDecodeError {
  readonly feature: CborUnsupportedFeature
  constructor(feature: CborUnsupportedFeature, offset: number) {
    super('ERR_CBOR_UNSUPPORTED_TYPE', `${feature} items are not allowed`, offset)
    this.feature = feature
  }
}

/** An integer outside the safe range ±(2^53−1). */
export class CborIntegerRangeError extends CborDecodeError {
  constructor(offset: number) {
    super('ERR_CBOR_INTEGER_RANGE', 'integer is outside ±(2^53−1)', offset)
  }
}

/** A text string is not valid UTF-8. */
export class CborInvalidUtf8Error extends CborDecodeError {
  constructor(offset: number) {
    super('ERR_CBOR_INVALID_UTF8', 'text string is not valid UTF-8', offset)
  }
}

/** A map key is not a text string. */
export class CborMapKeyTypeError extends CborDecodeError {
  constructor(offset: number) {
    super('ERR_CBOR_MAP_KEY_TYPE', 'map keys must be text strings', offset)
  }
}

/** Map keys are not in bytewise order of their encodings (RFC 8949 §4.2.1). */
export class CborMapKeyOrderError extends CborDecodeError {
  constructor(key: string, offset: number) {
    super('ERR_CBOR_MAP_KEY_ORDER', `map key ${JSON.stringify(key)} is out of order`, offset)
  }
}

/** The same key appears twice in one map. */
export class CborDuplicateKeyError extends CborDecodeError {
  constructor(key: string, offset: number) {
    super('ERR_CBOR_DUPLICATE_KEY', `map key ${JSON.stringify(key)} appears twice`, offset)
  }
}

/** A message field breaks its rule: `field` names it (e.g. "envelope.header.to"). */
export class MessageFieldError extends ProtocolError {
  readonly field: string
  constructor(field: string, rule: string) {
    super('ERR_MESSAGE_FIELD', `${field} ${rule}`)
    this.field = field
  }
}

/** `seal` was asked to produce an envelope over its size limit. */
export class EnvelopeTooLargeError extends ProtocolError {
  readonly size: number
  readonly maxBytes: number
  constructor(size: number, maxBytes: number) {
    super('ERR_ENVELOPE_TOO_LARGE', `the sealed envelope would be ${size} bytes; the limit is ${maxBytes}`)
    this.size = size
    this.maxBytes = maxBytes
  }
}

/** A length prefix longer than any allowed length could need: the peer is sending garbage. */
export class LengthPrefixTooLongError extends ProtocolError {
  constructor(maxPrefixBytes: number) {
    super('ERR_LENGTH_PREFIX', `length prefix longer than ${maxPrefixBytes} bytes`)
  }
}

/**
 * A frame's length prefix announces more than the reader's cap, or a peer sent more unread frames
 * than a stream may buffer: refused before the bytes are kept.
 */
export class FrameTooLargeError extends ProtocolError {
  readonly bytes: number
  readonly maxBytes: number
  constructor(what: string, bytes: number, maxBytes: number) {
    super('ERR_FRAME_TOO_LARGE', `${what} is ${bytes} bytes; the limit is ${maxBytes}`)
    this.bytes = bytes
    this.maxBytes = maxBytes
  }
}

/**
 * Keeping more of a frame would take the peer past its share of the node's budget for bytes held
 * in frames not yet read whole, or the node past the whole budget (FrameBudget).
 */
export class FrameOverBudgetError extends ProtocolError {
  readonly peer: string
  readonly limit: 'share' | 'total'
  constructor(peer: string, wanted: number, limit: 'share' | 'total', limitBytes: number) {
    const what =
      limit === 'share'
        ? `its share of the frame budget (${limitBytes} bytes per peer)`
        : `the node's frame budget (${limitBytes} bytes)`
    super(
      'ERR_FRAME_BUDGET',
      `a frame from ${peer} needs ${wanted} more bytes, over ${what}: refused (a node whose honest peers meet it needs a larger budget)`,
    )
    this.peer = peer
    this.limit = limit
  }
}

/** The stream ended (the peer closed its side) before a whole frame arrived. */
export class FrameCutShortError extends ProtocolError {
  constructor(received: number, length: number | undefined) {
    super(
      'ERR_FRAME_CUT_SHORT',
      length === undefined
        ? 'the stream ended before a frame'
        : `the stream ended after ${received} of a frame's ${length} bytes`,
    )
  }
}
