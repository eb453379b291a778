import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { bytesEqual, sha256, toHex, writeFileAtomic } from '@pocnet/crypto'
import { NodeError, UsersFileError } from '../errors.ts'

/** Who may do what through the control API. */
export const ROLES = ['operator', 'contact', 'auditor'] as const
export type Role = (typeof ROLES)[number]

export interface UserRecord {
  name: string
  role: Role
  /** SHA-256 of the token, hex: tokens are 256-bit random, so a slow hash adds nothing. */
  tokenHash: string
  createdAt: number
}

export const USERS_FILE = 'users.json'
const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,31}$/

export class UserError extends NodeError {}

/** The local users of one node, stored hashed in `<dataDir>/users.json` (0600). */
export class UserStore {
  readonly #file: string
  #users: UserRecord[]

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
    return new UserStore(file, parsed as UserRecord[])
  }

  list(): Array<Omit<UserRecord, 'tokenHash'>> {
    return this.#users.map(({ name, role, createdAt }) => ({ name, role, createdAt }))
  }

  /** Adds a user and returns the token, which is shown once and never stored in clear. */
  async add(name: string, role: Role): Promise<string> {
    if (!USER_NAME.test(name)) {
      throw new UserError(
        'ERR_USER_NAME',
        `user name "${name}" must be 1-32 characters of a-z, 0-9, ".", "_", "-"`,
      )
    }
    if (!ROLES.includes(role)) throw new UserError('ERR_USER_ROLE', `role must be one of ${ROLES.join(', ')}`)
    if (this.#users.some((u) => u.name === name)) {
      throw new UserError('ERR_USER_EXISTS', `user "${name}" already exists`)
    }
    const token = `pn_${randomBytes(32).toString('base64url')}`
    this.#users = [
      ...this.#users,
      { name, role, tokenHash: toHex(sha256(Buffer.from(token))), createdAt: Date.now() },
    ]
    await this.#save()
    return token
  }

  async remove(name: string): Promise<void> {
    if (!this.#users.some((u) => u.name === name))
      throw new UserError('ERR_USER_UNKNOWN', `no user "${name}"`)
    this.#users = this.#users.filter((u) => u.name !== name)
    await this.#save()
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

  async #save(): Promise<void> {
    await writeFileAtomic(this.#file, Buffer.from(`${JSON.stringify(this.#users, null, 2)}\n`), 0o600)
  }
}
