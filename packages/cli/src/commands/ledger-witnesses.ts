import { fromHex } from '@pocnet/crypto'
import {
  type CosignatureKind,
  checkpointOrigin,
  type VerifyReport,
  type WitnessKeys,
  type WitnessRequirement,
} from '@pocnet/ledger'
import { minCosigners, readConfig } from '@pocnet/node/client'
import { CliError } from '../errors.ts'
import { out } from '../output.ts'

/*
 * `pocnet ledger verify`'s witness check (docs/ledger.md §7): the members' witness keys from the
 * roster, how many cosignatures the latest checkpoint must carry, and the listing of who cosigned.
 */

/** The roster as this needs it: the network, every current member's keys, and the keys it retired (by hex). */
interface Members {
  network: string
  members: ReadonlyMap<string, { publicKey: Uint8Array; mlDsaWitnessKey?: Uint8Array }>
  retired?: ReadonlyMap<string, { country: string; how: 'revoked' | 'rotated' }>
}

const KIND_SHOWN: Record<CosignatureKind, string> = { ed25519: 'Ed25519', 'ml-dsa-44': 'ML-DSA-44' }

/** Sizes the text report lists cosigners of (the latest ones); --json lists them all. */
const LISTED_SIZES = 10

/**
 * What the verification requires of the witnesses. Every current member is a witness under its own
 * log's origin with its roster key (the verifier leaves the log's own out). `flag` is --witnesses;
 * otherwise the node's witnessing policy (`minCosigners`: its config's when verifying its data
 * directory, else the default, a majority of the other members), at most their number. `logCountry` is the log's, when known (else it is taken to be
 * a member). `pqFlag` is --pq-witnesses: how many of them must be ML-DSA-44 cosignatures (by the
 * ML-DSA-44 witness keys the roster gives members), none by default. Undefined when there is no
 * roster to take keys from (and none is required).
 */
export async function witnessRequirement(opts: {
  roster: Members | undefined
  flag: number | undefined
  pqFlag?: number | undefined
  dataDir: string | undefined
  logCountry: string | undefined
}): Promise<WitnessRequirement | undefined> {
  const { roster, flag, pqFlag } = opts
  if (roster === undefined) {
    if ((flag !== undefined && flag > 0) || (pqFlag !== undefined && pqFlag > 0))
      throw new CliError(
        'ERR_NO_ROSTER',
        `${flag !== undefined && flag > 0 ? '--witnesses' : '--pq-witnesses'} needs the roster, for the members' keys`,
        {
          hint: 'pass --data-dir of a node that holds the roster, or --witnesses 0 to verify without witnesses',
        },
      )
    return undefined
  }
  const keys: WitnessKeys[] = [...roster.members].map(([country, member]) => ({
    name: checkpointOrigin(roster.network, country),
    publicKey: member.publicKey,
    ...(member.mlDsaWitnessKey !== undefined && { mlDsaPublicKey: member.mlDsaWitnessKey }),
  }))
  // a member's Ed25519 keys before a rotation still vouch for what they cosigned then; a revoked
  // key, or one of a member no longer in the roster, vouches for nothing
  for (const [hex, retired] of roster.retired ?? [])
    if (retired.how === 'rotated' && roster.members.has(retired.country))
      keys.push({
        name: checkpointOrigin(roster.network, retired.country),
        publicKey: fromHex(hex),
        retired: true,
      })
  const postQuantum = pqFlag === undefined || pqFlag === 0 ? {} : { minPostQuantum: pqFlag }
  // an ML-DSA-44 cosigner is a cosigner too: k is at least the post-quantum count
  const withPostQuantum = (min: number): WitnessRequirement => ({
    keys,
    min: Math.max(min, pqFlag ?? 0),
    ...postQuantum,
  })
  if (flag !== undefined) return withPostQuantum(flag)
  const isMember = opts.logCountry === undefined || roster.members.has(opts.logCountry)
  const others = roster.members.size - (isMember ? 1 : 0)
  // the node's own policy for its data directory; for a bundle, that policy's default
  const config =
    opts.dataDir === undefined ? undefined : await readConfig(opts.dataDir).catch(() => undefined)
  return withPostQuantum(minCosigners(config ?? {}, others))
}

/** A cosigner's name as shown: the country of a current member's log origin, else the name itself. */
function shownName(name: string, roster: Members | undefined): string {
  if (roster === undefined) return name
  for (const country of roster.members.keys())
    if (name === checkpointOrigin(roster.network, country)) return country
  return name
}

function shownTime(timestamp: number | undefined): string {
  return timestamp === undefined ? '?' : new Date(timestamp * 1000).toISOString().replace('.000Z', 'Z')
}

/** The witness lines of the text report: the requirement's verdict and who cosigned which size when. */
export function printWitnesses(
  report: VerifyReport,
  required: WitnessRequirement | undefined,
  roster: Members | undefined,
): void {
  if (required === undefined) {
    out.line(
      `${out.style('yellow', '!')} no roster here: cosignatures were not checked (--data-dir of a node that holds the roster checks them)`,
    )
  } else if (report.witnesses !== undefined) {
    const w = report.witnesses
    out.line(
      `  witnesses ${w.cosigners.length} of ${w.required} required cosigned the latest checkpoint (size ${w.size}): ${w.cosigners.map((n) => shownName(n, roster)).join(', ')}`,
    )
    if (w.postQuantum !== undefined)
      out.line(
        `            ${w.postQuantum.cosigners.length} of ${w.postQuantum.required} required with ML-DSA-44 (post-quantum): ${w.postQuantum.cosigners.map((n) => shownName(n, roster)).join(', ')}`,
      )
  } else {
    out.line(`  witnesses none required (--witnesses 0, or no other member)`)
  }
  const sizes = [...new Set(report.cosignatures.map((c) => c.size))]
  for (const size of sizes.slice(-LISTED_SIZES)) {
    const lines = report.cosignatures.filter((c) => c.size === size)
    // an Ed25519 line is shown as it was before ML-DSA-44 came; the other kind says so
    const shown = lines.map(
      (c) =>
        `${shownName(c.name, roster)}${c.kind === 'ml-dsa-44' ? ' ML-DSA-44' : ''} ${shownTime(c.timestamp)}${c.status === 'valid' ? '' : ` (${c.status})`}${c.retiredKey === true ? ' (rotated-out key)' : ''}`,
    )
    out.line(`            size ${size}: ${shown.join(', ')}`)
  }
  const latest = sizes.at(-1)
  if (latest !== undefined) {
    // which kind(s) each witness cosigned the latest cosigned checkpoint with
    const kinds = new Map<string, Set<CosignatureKind>>()
    for (const c of report.cosignatures)
      if (c.size === latest && c.status === 'valid' && c.kind !== undefined)
        kinds.set(c.name, (kinds.get(c.name) ?? new Set()).add(c.kind))
    if (kinds.size > 0)
      out.line(
        `  kinds    size ${latest}: ${[...kinds]
          .map(
            ([name, k]) => `${shownName(name, roster)} ${[...k].map((kind) => KIND_SHOWN[kind]).join('+')}`,
          )
          .join(', ')}`,
      )
  }
  if (sizes.length > LISTED_SIZES)
    out.line(
      `            (${sizes.length - LISTED_SIZES} earlier cosigned checkpoint(s): --json lists them all)`,
    )
}
