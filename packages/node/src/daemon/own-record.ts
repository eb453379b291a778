import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { NodeIdentity } from '@pocnet/crypto'
import { type Directory, type PublishResult, RecordFieldError } from '@pocnet/directory'
import type { Ledger } from '@pocnet/ledger'
import { type NodeConfig, sealsHybrid } from '../config.ts'
import { DATA_DIR } from '../constants.ts'
import type { ContactFile } from '../daemon.ts'
import { NodeError } from '../errors.ts'
import type { Host } from '../host.ts'
import type { Logger } from '../log.ts'
import {
  type FoundProblem,
  foundProblem,
  type PublicationStatus,
  problemStatement,
} from './publication-status.ts'

const PUBLISH_TIMEOUT_MS = 30_000

/** The node's own record was refused before it was published: `problem` names the file, the field, the rule and the fix. */
export class OwnRecordRefusedError extends NodeError {
  readonly problem: FoundProblem
  constructor(problem: FoundProblem) {
    super('ERR_OWN_RECORD', problemStatement(problem))
    this.problem = problem
  }
}

export interface OwnRecordSources {
  dataDir: string
  config: NodeConfig
  identity: NodeIdentity
  host: Host
  directory: Directory
  ledger: Ledger
  log: Logger
  status: PublicationStatus
  /** The node's stop: a publication it cuts short has not failed. */
  shutdown: AbortSignal
}

/**
 * Publishes this country's record from `contact.json`, with the node's box key, its X-Wing key
 * when it seals hybrid, and its addresses; every outcome goes to `status`. The record is checked
 * by the directory's issuing rules before anything is sent: a refused one throws
 * OwnRecordRefusedError naming the field of contact.json and the rule.
 */
export async function publishOwnRecord(s: OwnRecordSources): Promise<{ seq: number; storedBy: number }> {
  const path = join(s.dataDir, DATA_DIR.contact)
  const contact = await readContact(path, s.status)
  const addresses = s.host
    .getMultiaddrs()
    .map((a) => a.toString())
    .filter((a) => !a.includes('/ip4/0.0.0.0'))
  let result: PublishResult
  try {
    result = await s.directory.publish(
      {
        ...contact,
        boxPublicKey: s.identity.boxPublicKey,
        ...(sealsHybrid(s.config, s.identity) ? { kemPublicKey: s.identity.kemPublicKey } : {}),
        addresses,
      },
      { signal: AbortSignal.any([AbortSignal.timeout(PUBLISH_TIMEOUT_MS), s.shutdown]) },
    )
  } catch (err) {
    if (s.shutdown.aborted) throw err
    if (err instanceof RecordFieldError) {
      const problem = refusedField(err, path)
      s.status.failed(problem)
      throw new OwnRecordRefusedError(problem)
    }
    s.status.publishFailed(err)
    throw err
  }
  await s.ledger.append({
    kind: 'directory-changed',
    actor: 'node',
    counterpart: s.config.country,
    detail: { seq: result.record.seq, storedBy: result.storedBy },
  })
  s.log.info('directory.published', { seq: result.record.seq, storedBy: result.storedBy })
  s.status.issued(result.record.seq, result.storedBy)
  return { seq: result.record.seq, storedBy: result.storedBy }
}

/** contact.json as an object; a file that cannot be read as one is refused (and told to `status`). */
async function readContact(path: string, status: PublicationStatus): Promise<ContactFile> {
  let problem: string
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'))
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as ContactFile
    problem = 'must be a JSON object of contact details'
  } catch (err) {
    problem = `cannot be read: ${(err as Error).message}`
  }
  const found = foundProblem({
    reason: 'contact-unreadable',
    file: path,
    field: null,
    rule: problem,
    fix: `restore ${path} from a backup or rewrite it (the fields are in docs/directory.md), then run \`pocnet directory publish\` (no restart is needed)`,
  })
  status.failed(found)
  throw new OwnRecordRefusedError(found)
}

/** Record fields the node fills in itself; every other one comes from contact.json. */
const NODE_BUILT_FIELDS = new Set([
  'record',
  'v',
  'country',
  'seq',
  'issuedAt',
  'expiresAt',
  'boxPublicKey',
  'kemPublicKey',
  'addresses',
])

/** The refusal of a record field, named as contact.json names it when the field comes from there. */
function refusedField(err: RecordFieldError, path: string): FoundProblem {
  // the record names fields `record.timeZone`, `record.mlaAuthority.phone`, `record.languages[1]`
  const field = err.field.replace(/^record\.?/, '') || 'record'
  const top = field.split(/[.[]/)[0]!
  const fromContact = !NODE_BUILT_FIELDS.has(top)
  return foundProblem({
    reason: 'record-refused',
    file: fromContact ? path : null,
    field,
    rule: err.rule,
    fix: fromContact
      ? `edit "${top}" in ${path}, then run \`pocnet directory publish\` (no restart is needed)`
      : 'the node builds this field itself (listen addresses in config.json, the node key): check them, then run `pocnet directory publish`',
  })
}
