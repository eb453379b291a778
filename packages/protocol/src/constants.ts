/** Largest input `decode` accepts unless told otherwise: 1 MiB plus room for framing. */
export const DEFAULT_CBOR_MAX_BYTES = 1024 * 1024 + 4096
/** Deepest nesting of arrays and maps that `encode` and `decode` accept unless told otherwise. */
export const DEFAULT_CBOR_MAX_DEPTH = 32

/** Version number of a classical envelope's header and inner payload (NaCl box). */
export const ENVELOPE_VERSION = 1
/**
 * Version number of a hybrid envelope's header and inner payload: NaCl box's key and an X-Wing
 * encapsulation combined (docs/protocol.md §5). Decoders refuse any version but these two.
 */
export const HYBRID_ENVELOPE_VERSION = 2
/** Version number in every receipt; decoders refuse any other. */
export const RECEIPT_VERSION = 1
/** Largest sealed envelope `seal` produces and `open` accepts unless told otherwise: 1 MiB. */
export const DEFAULT_MAX_ENVELOPE_BYTES = 1024 * 1024
/** A receipt is a few fixed-size fields: anything larger is refused unread. */
export const MAX_RECEIPT_BYTES = 1024
/** Message ids are random, 16 bytes: collisions are negligible across the network's lifetime. */
export const MESSAGE_ID_LENGTH = 16
/** UTF-8 byte limits of the text fields of envelopes (a network id's rule is in formats.ts). */
export const MAX_CASE_ID_BYTES = 128
export const MAX_KIND_BYTES = 64
/** Message kinds are short lowercase names, e.g. "preservation-request" or "case.ack". */
export const KIND_RULE = /^[a-z0-9][a-z0-9./-]*$/

/**
 * Default time window of `open`: how far an envelope's creation time may lie behind the
 * receiver's clock (the sender's outbox retries for days while a peer is down) and ahead of
 * it (clock skew). A receiver must remember message ids for at least `maxAgeMs`.
 */
export const DEFAULT_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60 * 1000
