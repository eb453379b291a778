import type { CaseEventOf } from './events.ts'

/** One period of preservation: the first grant or an extension, as the requested side recorded it. */
export interface PreservationPeriod {
  readonly grantedDays: number
  readonly grantedAt: string
  readonly expiresAt: string
}

export interface Preservation {
  readonly providerReference: string
  /** The period in force now: the last grant or extension. */
  readonly current: PreservationPeriod
  readonly periods: readonly PreservationPeriod[]
}

/**
 * One custodian's preserved data (Art. 29(2)(d), (3)): each `preserved` event with a new
 * provider reference adds one; extensions and the release are per custodian.
 */
export interface Custodian extends Preservation {
  readonly provider?: string
  readonly dataCategory?: string
  readonly dataFrom?: string
  readonly dataTo?: string
  /** The requester's release: the data need no longer be kept. */
  readonly released?: { readonly at: string; readonly reason?: string }
}

/** The custodians after a `preserved` event: a new record, or (a reference seen before) a new period. */
export function addPreserved(
  custodians: readonly Custodian[],
  e: CaseEventOf<'preserved'>,
): readonly Custodian[] {
  const period = { grantedDays: e.grantedDays, grantedAt: e.at, expiresAt: e.expiresAt }
  const { providerReference, provider, dataCategory, dataFrom, dataTo } = e
  const details = {
    ...(provider !== undefined && { provider }),
    ...(dataCategory !== undefined && { dataCategory }),
    ...(dataFrom !== undefined && { dataFrom }),
    ...(dataTo !== undefined && { dataTo }),
  }
  const known = custodians.findIndex((k) => k.providerReference === providerReference)
  // Only a history recorded before per-custodian records can repeat a reference: it replaced the period
  if (known >= 0)
    return custodians.map((k, i) =>
      i === known ? { ...k, ...details, current: period, periods: [...k.periods, period] } : k,
    )
  return [...custodians, { providerReference, ...details, current: period, periods: [period] }]
}

/** The custodians after an extension of `providerReference` was granted. */
export function extendCustodian(
  custodians: readonly Custodian[],
  providerReference: string,
  period: PreservationPeriod,
): readonly Custodian[] {
  return custodians.map((k) =>
    k.providerReference === providerReference
      ? { ...k, current: period, periods: [...k.periods, period] }
      : k,
  )
}

/** The custodians after a release of `providerReference`, or of every one still preserved. */
export function releaseCustodians(
  custodians: readonly Custodian[],
  e: Pick<CaseEventOf<'released'>, 'at' | 'providerReference' | 'reason'>,
): readonly Custodian[] {
  const released = { at: e.at, ...(e.reason !== undefined && { reason: e.reason }) }
  return custodians.map((k) =>
    k.released === undefined &&
    (e.providerReference === undefined || e.providerReference === k.providerReference)
      ? { ...k, released }
      : k,
  )
}

/** The release reason a withdrawal records on every custodian it releases. */
export const WITHDRAWAL_RELEASE_REASON = 'withdrawn'

/**
 * The custodians after the requester withdrew the request at `at`: every one still preserved is
 * released. Art. 29 preservation exists only for the requester's subsequent MLA request (29(1),
 * 29(3)); once the request is withdrawn nothing is left for the data to be kept for, so the
 * requested side may let it go, and both sides' records say so without a second message.
 */
export function releaseOnWithdrawal(custodians: readonly Custodian[], at: string): readonly Custodian[] {
  return releaseCustodians(custodians, { at, reason: WITHDRAWAL_RELEASE_REASON })
}

/** The custodians a withdrawal at `at` released (for the messages that tell people to free the data). */
export function releasedByWithdrawal(custodians: readonly Custodian[], at: string): Custodian[] {
  return custodians.filter((k) => k.released?.at === at && k.released.reason === WITHDRAWAL_RELEASE_REASON)
}

/** Custodians not released, earliest expiry first. */
export function unreleased(custodians: readonly Custodian[]): Custodian[] {
  return custodians
    .filter((k) => k.released === undefined)
    .sort((a, b) => Date.parse(a.current.expiresAt) - Date.parse(b.current.expiresAt))
}

/**
 * Whether the custodian's data is still to be kept at `at`: not released, and not expired, or in
 * force when the MLA request was received (Art. 29(7): preservation then continues until the
 * request is decided, and after it until the requester releases it).
 */
export function isHeld(k: Custodian, at: string, mlaReceivedAt: string | undefined): boolean {
  if (k.released !== undefined) return false
  const expiry = Date.parse(k.current.expiresAt)
  return expiry > Date.parse(at) || (mlaReceivedAt !== undefined && expiry > Date.parse(mlaReceivedAt))
}

/**
 * The custodian an extension request is about: the one named, or the only one still preserved.
 * Undefined when the name is unknown or released, or when none is named and several are held.
 */
export function extensionTarget(
  custodians: readonly Custodian[],
  providerReference: string | undefined,
): Custodian | undefined {
  const open = unreleased(custodians)
  if (providerReference !== undefined) return open.find((k) => k.providerReference === providerReference)
  return open.length === 1 ? open[0] : undefined
}

/** "OVH-1 (Example Host, until …)", for messages that list custodians. */
export function custodianText(k: Custodian): string {
  return `${k.providerReference} (${k.provider === undefined ? '' : `${k.provider}, `}until ${k.current.expiresAt})`
}
