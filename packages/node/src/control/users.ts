import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { bytesEqual, sha256, toHex, writeFileAtomic } from '@pocnet/crypto'
import { isUserName, USER_NAME_RULE } from '@pocnet/protocol'
import { NodeError, UsersFileError } from '../errors.ts'
import { ROLES, type Role, type UserRecord } from './roles.ts'

export const USERS_FILE = 'users.json'
const TOKEN_HASH = /^[0-9a-f]{64}$/
const USER_FIELDS = ['name', 'role', 'tokenHash', 'createdAt'] as const
/** Fields a user may have besides those: a token's expiry. */
const OPTIONAL_USER_FIELDS = ['expiresAt'] as const

export class UserError extends NodeError {}

/**
 * The local users of one node, stored hashed in `<dataDir>/users.json` (0600). A change is
 * saved first and made in memory only once the file holds it: a change reported as failed is
 * in effect neither in the running node nor after a restart. Changes run one after another in
 * the order asked for, each from the state the one before left.
 */
export class UserStore {
  readonly #file: string
  #users: UserRecord[]
  /** The last change asked for, settled; the next one starts after it. */
  #changes: Promise<void> = Promise.resolve()

  private constructor(file: string, users: UserRecord[]) {
    this.#file = file
    this.#users = users
  }

  static async open(dataDir: string): Promise<UserStore> {
    const file = join(dataDir, USERS_FILE)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new UserStore(file, [])
      throw err
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      throw new UsersFileError(file, `not valid JSON: ${(err as Error).message}`)
    }
    const checked = checkUsers(parsed)
    if (typeof checked === 'string') throw new UsersFileError(file, checked)
    return new UserStore(file, checked)
  }

  list(): Array<Omit<UserRecord, 'tokenHash'>> {
    return this.#users.map(({ tokenHash: _hash, ...user }) => user)
  }

  /**
   * Adds a user and returns the token, which is shown once and never stored in clear; with
   * `expiresAt` (ms since the epoch) the token stops working then.
   */
  async add(name: string, role: Role, expiresAt?: number): Promise<string> {
    if (!isUserName(name)) {
      throw new UserError('ERR_USER_NAME', `user name "${name}" must be ${USER_NAME_RULE}`)
    }
    if (!ROLES.includes(role)) throw new UserError('ERR_USER_ROLE', `role must be one of ${ROLES.join(', ')}`)
    return this.#change((users) => {
      if (users.some((u) => u.name === name)) {
        throw new UserError('ERR_USER_EXISTS', `user "${name}" already exists`)
      }
      const { token, tokenHash } = freshToken()
      const user = { name, role, tokenHash, createdAt: Date.now(), ...expiry(expiresAt) }
      return { users: [...users, user], result: token }
    })
  }

  /**
   * Gives a user a new token (returned, shown once) in place of the old one, which is refused as
   * soon as this resolves; `expiresAt` is the new token's expiry (absent: it does not expire).
   */
  rotate(name: string, expiresAt?: number): Promise<string> {
    return this.#change((users) => {
      const old = users.find((u) => u.name === name)
      if (old === undefined) throw new UserError('ERR_USER_UNKNOWN', `no user "${name}"`)
      const { token, tokenHash } = freshToken()
      const { expiresAt: _old, ...kept } = old
      const rotated: UserRecord = { ...kept, tokenHash, ...expiry(expiresAt) }
      return { users: users.map((u) => (u === old ? rotated : u)), result: token }
    })
  }

  /** Removes a user: once this resolves, their token is refused, now and after a restart. */
  remove(name: string): Promise<void> {
    return this.#change((users) => {
      if (!users.some((u) => u.name === name)) throw new UserError('ERR_USER_UNKNOWN', `no user "${name}"`)
      return { users: users.filter((u) => u.name !== name), result: undefined }
    })
  }

  /** The user a bearer token belongs to, compared in constant time. */
  authenticate(token: string): UserRecord | undefined {
    const hash = sha256(Buffer.from(token))
    let found: UserRecord | undefined
    for (const u of this.#users) {
      if (bytesEqual(Buffer.from(u.tokenHash, 'hex'), hash)) found = u
    }
    return found
  }

  /**
   * Runs `make` on the users once the changes asked for before it are done, saves what it
   * returns (writeFileAtomic keeps writes of the file in order too), and only then takes it as
   * the users in memory; a failed save leaves them as they were.
   */
  #change<T>(make: (users: readonly UserRecord[]) => { users: UserRecord[]; result: T }): Promise<T> {
    const run = this.#changes.then(async () => {
      const next = make(this.#users)
      await writeFileAtomic(this.#file, Buffer.from(`${JSON.stringify(next.users, null, 2)}\n`), 0o600)
      this.#users = next.users
      return next.result
    })
    this.#changes = run.then(
      () => {},
      () => {},
    )
    return run
  }
}

/** A new random token and the hash kept of it. */
function freshToken(): { token: string; tokenHash: string } {
  const token = `pn_${randomBytes(32).toString('base64url')}`
  return { token, tokenHash: toHex(sha256(Buffer.from(token))) }
}

function expiry(expiresAt: number | undefined): { expiresAt?: number } {
  return expiresAt === undefined ? {} : { expiresAt }
}

/**
 * The users in the parsed content of users.json, or the first problem found (`[2].role must
 * be …`): anything else would make every authentication throw, or let a hand edit pass unseen.
 */
function checkUsers(value: unknown): UserRecord[] | string {
  if (!Array.isArray(value)) return `the content must be an array of users, not ${kindOf(value)}`
  const names = new Map<string, number>()
  const hashes = new Map<string, number>()
  for (const [i, entry] of value.entries()) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      return `[${i}] must be a user (an object with ${USER_FIELDS.join(', ')}), not ${kindOf(entry)}`
    }
    const u = entry as Record<string, unknown>
    for (const field of USER_FIELDS) {
      if (!Object.hasOwn(u, field)) return `[${i}].${field} is missing`
    }
    if (!isUserName(u.name)) {
      return `[${i}].name must be ${USER_NAME_RULE}`
    }
    if (!ROLES.includes(u.role as Role)) return `[${i}].role must be one of ${ROLES.join(', ')}`
    if (typeof u.tokenHash !== 'string' || !TOKEN_HASH.test(u.tokenHash)) {
      return `[${i}].tokenHash must be 64 lowercase hex digits (the SHA-256 of the token)`
    }
    if (typeof u.createdAt !== 'number' || !Number.isSafeInteger(u.createdAt) || u.createdAt < 0) {
      return `[${i}].createdAt must be a time in milliseconds since 1970 (a whole number, 0 or more)`
    }
    if (
      u.expiresAt !== undefined &&
      (typeof u.expiresAt !== 'number' || !Number.isSafeInteger(u.expiresAt) || u.expiresAt < 0)
    )
      return `[${i}].expiresAt must be a time in milliseconds since 1970 (a whole number, 0 or more), or absent`
    const known: readonly string[] = [...USER_FIELDS, ...OPTIONAL_USER_FIELDS]
    const extra = Object.keys(u).find((k) => !known.includes(k))
    if (extra !== undefined) return `[${i}].${extra} is not a field of a user (${known.join(', ')})`
    const sameName = names.get(u.name)
    if (sameName !== undefined) return `[${i}].name "${u.name}" is also that of [${sameName}]`
    names.set(u.name, i)
    const sameHash = hashes.get(u.tokenHash)
    if (sameHash !== undefined)
      return `[${i}].tokenHash is also that of [${sameHash}] (one token for two users)`
    hashes.set(u.tokenHash, i)
  }
  return (value as UserRecord[]).map(({ name, role, tokenHash, createdAt, expiresAt }) => ({
    name,
    role,
    tokenHash,
    createdAt,
    ...expiry(expiresAt),
  }))
}

/** What a JSON value is, for a message. */
function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
