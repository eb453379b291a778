import { MAX_CHUNK_BYTES, MIN_CHUNK_BYTES } from '@pocnet/cases'
import type { ConfigProblem } from '../errors.ts'

/** config.json `attachments`: caps on what is sent and received, and the disk quota for received files. */
export interface AttachmentsConfig {
  /** Largest single file sent or accepted, bytes. */
  maxFileBytes: number
  /** Most bytes of attachments one message may carry, all together. */
  maxMessageBytes: number
  /** Disk this node gives to received attachments, all cases together. */
  quotaBytes: number
  /** Size of the chunks this node cuts its own uploads into. */
  chunkBytes: number
  /** How long an upload may wait to be put in a message before it is removed, milliseconds. */
  unsentUploadTtlMs: number
}

const MiB = 1024 * 1024
const GiB = 1024 * MiB

/**
 * 1 GiB per file and 2 GiB per message cover a mailbox export or a day of server logs; a larger
 * seizure goes by MLA. 20 GiB of quota is ten such messages waiting to be fetched by the desk.
 * 1 MiB chunks: a lost connection costs at most a few MiB again, and the hash list of a 1 GiB
 * file (1024 hashes) stays far below the envelope cap. An upload not sent within a day was
 * abandoned (the CLI uploads just before it sends): it goes, rather than hold disk for good.
 */
export const DEFAULT_ATTACHMENTS: AttachmentsConfig = {
  maxFileBytes: GiB,
  maxMessageBytes: 2 * GiB,
  quotaBytes: 20 * GiB,
  chunkBytes: MiB,
  unsentUploadTtlMs: 24 * 60 * 60 * 1000,
}

/** The attachment settings in force: config.json's, each missing one at its default. */
export function attachmentsConfigOf(config: { attachments?: Partial<AttachmentsConfig> }): AttachmentsConfig {
  return { ...DEFAULT_ATTACHMENTS, ...config.attachments }
}

const KEYS = Object.keys(DEFAULT_ATTACHMENTS) as Array<keyof AttachmentsConfig>

/** What is wrong with config.json's `attachments` section. */
export function attachmentsConfigProblems(raw: unknown): ConfigProblem[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return [{ path: 'attachments', message: `must be an object with some of ${KEYS.join(', ')}` }]
  const problems: ConfigProblem[] = []
  const section = raw as Record<string, unknown>
  for (const key of Object.keys(section))
    if (!(KEYS as string[]).includes(key))
      problems.push({ path: `attachments.${key}`, message: `is not a setting; use ${KEYS.join(', ')}` })
  for (const key of KEYS) {
    const v = section[key]
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0))
      problems.push({
        path: `attachments.${key}`,
        message: `must be a positive whole number (${key.endsWith('Ms') ? 'milliseconds' : 'bytes'})`,
      })
  }
  const chunk = section.chunkBytes
  if (typeof chunk === 'number' && (chunk < MIN_CHUNK_BYTES || chunk > MAX_CHUNK_BYTES))
    problems.push({
      path: 'attachments.chunkBytes',
      message: `must be between ${MIN_CHUNK_BYTES} and ${MAX_CHUNK_BYTES}`,
    })
  return problems
}
