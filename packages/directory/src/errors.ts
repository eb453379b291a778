/** Base class of every error this package throws on purpose; `code` is stable, `message` is for people. */
export class DirectoryError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = new.target.name
    this.code = code
  }
}

/** A roster document, descriptor, proposal or signature file is not in the expected shape. */
export class RosterFormatError extends DirectoryError {
  constructor(message: string) {
    super('ERR_ROSTER_FORMAT', message)
  }
}

/** A roster amendment does not link to the version before it (wrong `prev`, version or network). */
export class RosterLinkError extends DirectoryError {
  readonly version: number
  constructor(version: number, message: string) {
    super('ERR_ROSTER_LINK', `roster version ${version}: ${message}`)
    this.version = version
  }
}

/** A roster document carries fewer valid signatures than it needs. */
export class RosterThresholdError extends DirectoryError {
  readonly version: number
  readonly required: number
  readonly present: number
  constructor(version: number, required: number, present: number, who: string) {
    super(
      'ERR_ROSTER_THRESHOLD',
      `roster version ${version}: ${present} valid signature(s) of ${who}, ${required} required`,
    )
    this.version = version
    this.required = required
    this.present = present
  }
}

/** A roster signature does not verify over the document's body bytes. */
export class RosterSignatureError extends DirectoryError {
  readonly version: number
  constructor(version: number, signer: string) {
    super('ERR_ROSTER_SIGNATURE', `roster version ${version}: the signature of ${signer} does not verify`)
    this.version = version
  }
}

/** A roster document is signed by a key that is not a current member's (or, for the genesis, a founder's). */
export class RosterUnknownSignerError extends DirectoryError {
  readonly version: number
  constructor(version: number, keyHex: string) {
    const whose = version === 0 ? 'a founder key' : `a member key of version ${version - 1}`
    super('ERR_ROSTER_UNKNOWN_SIGNER', `roster version ${version}: signer key ${keyHex} is not ${whose}`)
    this.version = version
  }
}

/** A roster document is signed by a key that was revoked or rotated away earlier in the chain. */
export class RosterRevokedSignerError extends DirectoryError {
  readonly version: number
  constructor(version: number, country: string, how: 'revoked' | 'rotated', atVersion: number) {
    super(
      'ERR_ROSTER_REVOKED_SIGNER',
      `roster version ${version}: signer is ${country}'s key that was ${how} at version ${atVersion}`,
    )
    this.version = version
  }
}

/** A roster amendment's change cannot apply (admit a member twice, revoke a non-member, bad threshold...). */
export class RosterChangeError extends DirectoryError {
  readonly version: number
  constructor(version: number, message: string) {
    super('ERR_ROSTER_CHANGE', `roster version ${version}: ${message}`)
    this.version = version
  }
}

/** Two different roster documents claim the same version: both are refused. */
export class RosterForkError extends DirectoryError {
  readonly version: number
  readonly hashes: [string, string]
  constructor(version: number, a: string, b: string) {
    super(
      'ERR_ROSTER_FORK',
      `roster fork at version ${version}: two different documents (${a} and ${b}) claim it; both are refused`,
    )
    this.version = version
    this.hashes = [a, b]
  }
}

/** A roster chain starts from a genesis this node does not trust (another network). */
export class RosterGenesisMismatchError extends DirectoryError {
  constructor(expected: string, got: string) {
    super('ERR_ROSTER_GENESIS_MISMATCH', `roster genesis is ${got}; this node trusts ${expected}`)
  }
}

/** Why a directory record was refused. */
export type RecordProblem =
  | 'too-large'
  | 'malformed'
  | 'not-a-member'
  | 'bad-signature'
  | 'wrong-country'
  | 'expired'
  | 'not-yet-valid'
  | 'stale'
  | 'bad-key'

/** A directory record was refused; `problem` names the rule it broke. */
export class RecordRejectedError extends DirectoryError {
  readonly problem: RecordProblem
  constructor(problem: RecordProblem, message: string) {
    super(`ERR_RECORD_${problem.toUpperCase().replaceAll('-', '_')}`, message)
    this.problem = problem
  }
}

/** A record body field breaks its rule (used when building a record as well as decoding one). */
export class RecordFieldError extends DirectoryError {
  readonly field: string
  readonly rule: string
  constructor(field: string, rule: string) {
    super('ERR_RECORD_FIELD', `record field ${field}: ${rule}`)
    this.field = field
    this.rule = rule
  }
}

/** No record for a country could be found in the cache, the DHT or from connected members. */
export class RecordNotFoundError extends DirectoryError {
  readonly country: string
  constructor(country: string) {
    super(
      'ERR_RECORD_NOT_FOUND',
      `no valid directory record for ${country} in the cache, the DHT or from peers`,
    )
    this.country = country
  }
}

/** A peer answered one of our protocols with bytes we refuse. */
export class PeerProtocolError extends DirectoryError {
  constructor(message: string) {
    super('ERR_PEER_PROTOCOL', message)
  }
}

/** This node is not (or no longer) a member of the roster and cannot publish. */
export class NotAMemberError extends DirectoryError {
  constructor(country: string) {
    super('ERR_NOT_A_MEMBER', `${country} with this node's key is not a member of the current roster`)
  }
}
