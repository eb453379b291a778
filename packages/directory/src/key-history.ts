import { bytesEqual } from '@pocnet/crypto'
import { decodeRosterBody, type VerifiedRosterChain } from './roster/index.ts'

/*
 * The keys a roster chain gave each country, in order: what a ledger's key history is checked
 * against (docs/ledger.md §7), and how the node knows a rotation of its own key is authorised.
 */

/** One key the roster gave a country. */
export interface RosterKey {
  publicKey: Uint8Array
  /** The version that gave it: 0 for a founder, else the amendment that admitted or rotated it in. */
  fromVersion: number
  /** The version that took it back, and how, if one did. */
  retired?: { how: 'revoked' | 'rotated'; atVersion: number }
}

/** Every country's keys, oldest first, from a verified chain (its documents were checked already). */
export function rosterKeyHistory(chain: VerifiedRosterChain): Map<string, RosterKey[]> {
  const history = new Map<string, RosterKey[]>()
  const current = (country: string) => history.get(country)?.at(-1)
  const give = (country: string, publicKey: Uint8Array, fromVersion: number) => {
    history.set(country, [...(history.get(country) ?? []), { publicKey, fromVersion }])
  }
  for (const doc of chain.documents) {
    const body = decodeRosterBody(doc.bodyBytes)
    if (body.kind === 'genesis') {
      for (const m of body.members) give(m.country, m.publicKey, 0)
      continue
    }
    for (const change of body.changes) {
      if (change.op === 'admit') give(change.member.country, change.member.publicKey, body.version)
      else if (change.op === 'revoke')
        current(change.country)!.retired = { how: 'revoked', atVersion: body.version }
      else if (change.op === 'rotate') {
        current(change.country)!.retired = { how: 'rotated', atVersion: body.version }
        give(change.country, change.publicKey, body.version)
      }
    }
  }
  return history
}

/** The keys the chain gave `country`, oldest first (empty when it never was a member). */
export function keyHistoryOf(chain: VerifiedRosterChain, country: string): RosterKey[] {
  return rosterKeyHistory(chain).get(country) ?? []
}

/**
 * The roster version that authorises `country`'s ledger to hand over from `oldKey` to `newKey`:
 * `newKey` is the country's current key, rotated in at that version, and `oldKey` an earlier key
 * of the country the roster retired by then (one or more rotations may lie between them).
 */
export function rotationVersion(
  chain: VerifiedRosterChain,
  country: string,
  oldKey: Uint8Array,
  newKey: Uint8Array,
): number | undefined {
  const keys = keyHistoryOf(chain, country)
  const last = keys.at(-1)
  if (last === undefined || last.retired !== undefined || !bytesEqual(last.publicKey, newKey))
    return undefined
  const old = keys.slice(0, -1).find((k) => bytesEqual(k.publicKey, oldKey))
  if (old?.retired === undefined || old.retired.atVersion > last.fromVersion) return undefined
  return last.fromVersion
}
