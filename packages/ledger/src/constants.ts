/** SHA-256 output, the size of every tree hash. */
export const HASH_LENGTH = 32

/** Largest encoded entry the ledger writes or any reader accepts. */
export const MAX_ENTRY_BYTES = 16 * 1024

/** Largest blob (message envelope or attachment) the blob store accepts, before encryption. */
export const MAX_BLOB_BYTES = 32 * 1024 * 1024

/** Most blobs one entry may reference. */
export const MAX_BLOB_REFS = 64

/** Most entries one appendBatch call may write in its single LevelDB batch. */
export const MAX_BATCH_ENTRIES = 10_000

/**
 * Largest signed checkpoint note any reader accepts: C2SP signed-note asks readers to take at
 * least 16 signatures, and an ML-DSA-44 cosignature line is about 3.3 KB.
 */
export const MAX_CHECKPOINT_BYTES = 64 * 1024

/** Most signature lines a checkpoint reader looks at (C2SP signed-note asks for at least 16). */
export const MAX_CHECKPOINT_SIGNATURES = 32

/** Largest export-bundle record (an entry, a checkpoint, a header or a blob with its bytes). */
export const MAX_BUNDLE_RECORD_BYTES = MAX_BLOB_BYTES + 1024

/** How often the verifier reports progress, in entries. */
export const PROGRESS_EVERY = 10_000
