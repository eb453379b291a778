import { resolve } from 'node:path'
import { fromHex } from '@pocnet/crypto'
import {
  type BundleHeader,
  checkProofLocally,
  EntryNotCoveredError,
  LedgerError,
  type LogPin,
  type ProofView,
  proveFromBundle,
} from '@pocnet/ledger'
import { ledgerRoutes } from '@pocnet/node/client'
import { isCountryCode } from '@pocnet/protocol/formats'
import { Argument, type Command } from 'commander'
import { Context } from '../context.ts'
import { CliError, UsageError } from '../errors.ts'
import { examples, jsonOption, nonNegativeInt } from '../help.ts'
import { out } from '../output.ts'
import { countryArg, rosterPinOf } from './ledger.ts'

/**
 * `pocnet ledger prove`'s verdict on the proof for entry `seq`: 'ok', 'FAILED: why'
 * (checkProofLocally names what is wrong), or 'not checked' when there is no roster key to check with.
 */
export function proofVerdict(p: ProofView, seq: number, pin: LogPin | undefined): string {
  if (pin === undefined) return 'not checked (no roster key to check the checkpoint with)'
  try {
    checkProofLocally(p, seq, pin)
    return 'ok'
  } catch (e) {
    // a malformed answer (not the shape of a proof) fails the same way
    return `FAILED: ${(e as Error).message}`
  }
}

/**
 * The key a bundle's checkpoint must be signed by: --key, else the roster key of --country or of
 * the country the bundle's origin names, else the bundle's own (said to be unpinned).
 */
async function bundlePin(
  ctx: Context,
  header: BundleHeader,
  flags: { key?: string; country?: string },
): Promise<{ pin: LogPin; against: string }> {
  if (flags.key !== undefined) {
    let publicKey: Uint8Array
    try {
      publicKey = fromHex(flags.key)
    } catch {
      throw new UsageError(`--key ${flags.key}: must be the key in hex`)
    }
    return { pin: { publicKey, origin: header.origin }, against: 'the key given (--key)' }
  }
  if (flags.country !== undefined) {
    const pin = await rosterPinOf(ctx, flags.country)
    if (pin !== undefined) return { pin, against: `the roster key of ${flags.country}` }
  }
  const named = header.origin.split('/').at(-1) ?? ''
  if (isCountryCode(named) && (await ctx.localRoster()) !== undefined) {
    const pin = await rosterPinOf(ctx, named).catch(() => undefined)
    if (pin !== undefined) return { pin, against: `the roster key of ${named}` }
  }
  return {
    pin: { publicKey: header.publicKey, origin: header.origin },
    against: "the bundle's own key, not pinned: compare it with the roster, or give --country",
  }
}

/** The proof of entry `seq` from an export bundle, and what it is checked against. */
async function fromBundle(
  ctx: Context,
  path: string,
  seq: number,
  flags: { key?: string; country?: string },
): Promise<{ proof: ProofView; verdict: string; against: string }> {
  let proven: Awaited<ReturnType<typeof proveFromBundle>>
  try {
    proven = await proveFromBundle(path, seq)
  } catch (e) {
    if (e instanceof EntryNotCoveredError) throw new CliError(e.code, e.message, { hint: e.hint })
    if (e instanceof LedgerError) throw new CliError(e.code, `${path}: ${e.message}`)
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'EISDIR')
      throw new CliError(
        'ERR_NO_BUNDLE',
        `--bundle ${path}: ${code === 'ENOENT' ? 'no such file' : 'a directory'}`,
        {
          hint: 'give an export bundle written by `pocnet ledger export --out <file>`',
        },
      )
    throw e
  }
  const { pin, against } = await bundlePin(ctx, proven.header, flags)
  return { proof: proven.proof, verdict: proofVerdict(proven.proof, seq, pin), against }
}

/** `pocnet ledger prove`: one entry's inclusion proof, from the daemon or offline from a bundle. */
export function registerLedgerProve(ledger: Command): void {
  examples(
    ledger
      .command('prove')
      .description(
        'inclusion proof of one entry against the latest signed checkpoint, checked here (from the node, or offline from an export bundle)',
      )
      .addArgument(new Argument('<seq>', "the entry's sequence number").argParser(nonNegativeInt('<seq>')))
      .option(
        '--bundle <path>',
        "an export bundle: prove offline, against the bundle's latest signed checkpoint",
      )
      .option(
        '--country <CC>',
        "with --bundle: check against this country's roster key (default: the country the bundle's origin names)",
        countryArg,
      )
      .option('--key <hex>', 'with --bundle: the Ed25519 key the checkpoint must be signed by')
      .addOption(jsonOption())
      .action(
        async (
          seq: number,
          flags: { bundle?: string; country?: string; key?: string; json?: boolean },
          command: Command,
        ) => {
          const ctx = Context.of(command)
          if (flags.bundle === undefined && (flags.country !== undefined || flags.key !== undefined))
            throw new UsageError(`${flags.key === undefined ? '--country' : '--key'} needs --bundle`)
          const {
            proof: p,
            verdict: verified,
            against,
          } = flags.bundle === undefined
            ? await (async () => {
                const proof = await ctx.call(ledgerRoutes.proof, { params: { seq: String(seq) } })
                const verdict = proofVerdict(proof, seq, await rosterPinOf(ctx, undefined))
                return { proof, verdict, against: 'the roster key' }
              })()
            : await fromBundle(ctx, resolve(flags.bundle), seq, flags)
          const failed = () =>
            new CliError('ERR_PROOF', `the inclusion proof of entry ${seq} does not verify`)
          if (flags.json) {
            out.json({ ...p, verifiedLocally: verified })
            if (verified.startsWith('FAILED')) throw failed()
            return
          }
          out.line(`entry ${p.seq} of ${p.treeSize}, leaf ${p.leafHash}`)
          out.line(`proof (${p.proof.length} hashes):`)
          for (const h of p.proof) out.line(`  ${h}`)
          out.line('checkpoint:')
          for (const l of p.checkpoint.trimEnd().split('\n')) out.line(`  ${l}`)
          out.line(
            `checked here against ${against}: ${verified === 'ok' ? out.style('green', 'ok') : out.style('red', verified)}`,
          )
          if (verified.startsWith('FAILED')) throw failed()
        },
      ),
    'pocnet ledger prove 42',
    'pocnet ledger prove 42 --bundle fr-2026-11.bundle --country FR',
  )
}
