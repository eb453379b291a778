import { resolve } from 'node:path'
import { checkCountry } from '@pocnet/cases'
import { fromHex, readKeyFile, toHex } from '@pocnet/crypto'
import { keyHistoryOf, type RosterKey, readRosterChainFile, verifyRosterChain } from '@pocnet/directory'
import {
  checkpointOrigin,
  ENTRY_KINDS,
  type EntryKind,
  type VerifyProgress,
  type VerifyReport,
  verifyLedger,
} from '@pocnet/ledger'
import {
  DEFAULT_EXPORT_COSIGN_TIMEOUT_MS,
  ledgerRoutes,
  MAX_EXPORT_COSIGN_TIMEOUT_MS,
  obtainPassphrase,
  readConfig,
} from '@pocnet/node/client'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { Context } from '../context.ts'
import { CliError, LedgerInvalidError } from '../errors.ts'
import { witnessedCheckpoints } from '../evidence-file.ts'
import { examples, jsonOption, nonNegativeInt, positiveInt } from '../help.ts'
import { formatDetail, formatTime, out, table } from '../output.ts'
import { registerLedgerProve } from './ledger-prove.ts'
import { printWitnesses, witnessRequirement } from './ledger-witnesses.ts'

/** What to do about a tail no signed checkpoint covers. */
const UNSIGNED_TAIL_HINT =
  'a stopped node signs its last entries; on a running one `pocnet ledger checkpoint` signs them now, and --allow-unsigned-tail accepts them with a warning. A bundle should end at a checkpoint: export it again'

/** An export writes the whole ledger: the daemon may take minutes. */
const EXPORT_TIMEOUT_MS = 300_000

/** A time option: ISO 8601 with its offset (or Z), or milliseconds since the epoch; kept as UTC ISO text. */
function timeArg(value: string): string {
  const ms = /^\d+$/.test(value)
    ? Number(value)
    : /(Z|[+-]\d{2}:\d{2})$/.test(value)
      ? Date.parse(value)
      : Number.NaN
  if (!Number.isFinite(ms))
    throw new InvalidArgumentError('use ISO 8601 with an offset, e.g. 2026-11-28T00:00:00Z')
  return new Date(ms).toISOString()
}

/** A country filter: an ISO 3166-1 code as ledger entries carry it, so `UK` is refused naming GB, not 'no entries'. */
export function countryArg(value: string): string {
  const iso = checkCountry(value.toUpperCase())
  if (!iso.ok) throw new InvalidArgumentError(iso.reason)
  return iso.value
}

/**
 * The key a country's ledger must be signed with, from the local roster, and the origin its
 * checkpoints must carry (the roster's network and the country): the key alone would also pass a
 * log that key signed for another network or purpose.
 */
export async function rosterPinOf(
  ctx: Context,
  country: string | undefined,
): Promise<{ publicKey: Uint8Array; origin: string; keyHistory: RosterKey[] } | undefined> {
  const chain = await readRosterChainFile(ctx.path('roster'))
    .then((docs) => verifyRosterChain(docs))
    .catch(() => undefined)
  const state = chain?.state
  if (chain === undefined || state === undefined) {
    if (country !== undefined)
      throw new CliError('ERR_NO_ROSTER', `no readable roster in ${ctx.dataDir} to find ${country}'s key`, {
        hint: 'pass --key <hex> instead, or --data-dir of a node that holds the roster',
      })
    return undefined
  }
  const cc = country ?? (await readConfig(ctx.dataDir).catch(() => undefined))?.country
  if (cc === undefined) return undefined
  const member = state.members.get(cc)
  if (member === undefined) {
    if (country !== undefined) throw new CliError('ERR_NOT_A_MEMBER', `${country} is not in the roster`)
    return undefined
  }
  // the key history lets a ledger rotated as the roster says verify over all its keys
  return {
    publicKey: member.publicKey,
    origin: checkpointOrigin(state.network, cc),
    keyHistory: keyHistoryOf(chain, cc),
  }
}

/** The verifier's progress on stderr, on a terminal only. */
export function progressBar(): (p: VerifyProgress) => void {
  if (process.stderr.isTTY !== true) return () => {}
  return ({ verified, total, recheck }) => {
    const width = 30
    const done = total === 0 ? width : Math.round((verified / total) * width)
    // after a problem found by worker threads, an in-order pass names the first bad entry
    const pass = recheck === true ? ' (re-checking in order)' : ''
    process.stderr.write(
      `\r[${'#'.repeat(done)}${' '.repeat(width - done)}] ${verified}/${total} entries${pass}`,
    )
    if (verified >= total) process.stderr.write('\n')
  }
}

function reportJson(r: VerifyReport) {
  return {
    ok: r.ok,
    source: r.source,
    origin: r.origin ?? null,
    publicKey: r.publicKey === undefined ? null : toHex(r.publicKey),
    entries: r.entries,
    root: r.root === undefined ? null : toHex(r.root),
    checkpoints: r.checkpoints,
    latestCheckpointSize: r.latestCheckpoint?.size ?? null,
    /** Entries after the latest signed checkpoint: checked, but not yet vouched for by a signature. */
    unsignedEntries: r.entries - (r.latestCheckpoint?.size ?? 0),
    /** With --allow-unsigned-tail: the first entry no signed checkpoint covers (the signed view ends there). */
    unsignedFrom: r.unsignedFrom ?? null,
    blobs: r.blobs,
    threads: r.threads,
    /** Every cosignature line on the checkpoints: who cosigned which size when, and its status. */
    cosignatures: r.cosignatures,
    /** The witness requirement on the latest checkpoint (null when none was asked for). */
    witnesses: r.witnesses ?? null,
    problem: r.problem ?? null,
  }
}

export function registerLedger(program: Command): void {
  const ledger = program.command('ledger').description("the node's tamper-evident ledger (auditor)")
  examples(
    ledger,
    'pocnet ledger verify',
    'pocnet ledger log --case IT-20261128-dd69bafb',
    'pocnet ledger export --out fr.bundle',
  )

  examples(
    ledger
      .command('verify')
      .description('verify a ledger offline (data directory or export bundle); names the first bad entry')
      .option('--bundle <path>', 'an export bundle instead of the data directory')
      .option('--key <hex>', 'the Ed25519 key the ledger must be signed by')
      .option('--country <CC>', 'take the expected key from the local roster for this country')
      .option(
        '--evidence <file>',
        'equivocation evidence against this log (`pocnet witness evidence --json`): the ledger must hold the checkpoint the witness cosigned',
      )
      .option(
        '--check-blobs',
        "decrypt and hash every blob too (data directory only; needs the node's passphrase)",
      )
      .option(
        '--allow-unsigned-tail',
        'accept entries after the latest signed checkpoint, with a warning (a running node, a crashed one); without it they fail the check',
      )
      .option(
        '--witnesses <k>',
        "valid cosignatures of distinct current members the latest checkpoint must carry (default: the node's witness.minCosigners for its data directory, else a majority of the other members; 0: none)",
        nonNegativeInt('--witnesses'),
      )
      .option(
        '--pq-witnesses <k>',
        'of those, ML-DSA-44 (post-quantum) cosignatures of distinct members, by the witness keys the roster gives them (default 0; k of --witnesses is raised to it)',
        nonNegativeInt('--pq-witnesses'),
      )
      .option(
        '--threads <n>',
        'worker threads that decode and hash entries (default: one per CPU; 0: none)',
        nonNegativeInt('--threads'),
      )
      .addOption(jsonOption())
      .action(
        async (
          flags: {
            bundle?: string
            key?: string
            country?: string
            evidence?: string
            checkBlobs?: boolean
            allowUnsignedTail?: boolean
            witnesses?: number
            pqWitnesses?: number
            threads?: number
            json?: boolean
          },
          command: Command,
        ) => {
          const ctx = Context.of(command)
          const source = flags.bundle === undefined ? ctx.path('ledger') : resolve(flags.bundle)
          let publicKey: Uint8Array | undefined
          let origin: string | undefined
          let keyHistory: RosterKey[] | undefined
          if (flags.key !== undefined) {
            try {
              publicKey = fromHex(flags.key)
            } catch {
              throw new CliError('ERR_USAGE', '--key must be hex', { exitCode: 2 })
            }
          } else if (flags.country !== undefined || flags.bundle === undefined) {
            const pin = await rosterPinOf(ctx, flags.country?.toUpperCase())
            publicKey = pin?.publicKey
            origin = pin?.origin
            keyHistory = pin?.keyHistory
          }
          if (flags.evidence !== undefined && publicKey === undefined)
            throw new CliError('ERR_USAGE', "--evidence needs the log's key to check the evidence with", {
              hint: 'add --country <CC> (the roster key) or --key <hex>',
              exitCode: 2,
            })
          const witnessed =
            flags.evidence === undefined
              ? undefined
              : await witnessedCheckpoints(
                  resolve(flags.evidence),
                  keyHistory?.map((k) => k.publicKey) ?? [publicKey!],
                )
          const roster = await ctx.localRoster()
          const witnesses = await witnessRequirement({
            roster,
            flag: flags.witnesses,
            pqFlag: flags.pqWitnesses,
            dataDir: flags.bundle === undefined ? ctx.dataDir : undefined,
            logCountry:
              flags.country?.toUpperCase() ??
              (flags.bundle === undefined
                ? (await readConfig(ctx.dataDir).catch(() => undefined))?.country
                : undefined),
          })
          const identity =
            flags.checkBlobs && flags.bundle === undefined
              ? await readKeyFile(ctx.path('key'), await obtainPassphrase())
              : undefined
          let report: VerifyReport
          try {
            report = await verifyLedger(source, {
              onProgress: flags.json ? () => {} : progressBar(),
              ...(publicKey === undefined ? {} : { publicKey }),
              ...(origin === undefined ? {} : { origin }),
              ...(keyHistory === undefined ? {} : { keyHistory }),
              ...(identity === undefined ? {} : { identity }),
              ...(witnessed === undefined ? {} : { checkpoints: witnessed }),
              ...(flags.threads === undefined ? {} : { threads: flags.threads }),
              allowUnsignedTail: flags.allowUnsignedTail === true,
              ...(witnesses === undefined ? {} : { witnesses }),
            })
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code
            if (code === 'ENOENT')
              throw new CliError('ERR_NO_LEDGER', `no ledger at ${source}`, {
                hint: 'check --data-dir, or give an export bundle with --bundle',
              })
            throw e
          }
          if (flags.json) out.json(reportJson(report))
          if (!report.ok)
            throw new LedgerInvalidError(
              report.problem?.reason ?? 'unknown problem',
              report.problem?.seq,
              report.witnesses?.postQuantum?.met === false
                ? `--pq-witnesses <k> sets how many ML-DSA-44 cosignatures are required (${report.witnesses.postQuantum.required} here; 0: none); a member's witness cosigns with ML-DSA-44 once the roster publishes its key (\`pocnet roster propose --witness-key\`)`
                : report.witnesses?.met === false
                  ? `--witnesses <k> sets how many cosignatures are required (${report.witnesses.required} here; 0: none); the node asks the connected members to cosign each checkpoint`
                  : report.unsignedFrom !== undefined && report.problem?.seq === report.unsignedFrom
                    ? UNSIGNED_TAIL_HINT
                    : undefined,
            )
          if (flags.json) return
          out.line(
            `${out.style('green', '✓')} ledger OK: ${report.entries} entries, ${report.checkpoints} signed checkpoint(s)`,
          )
          const signedUpTo = report.latestCheckpoint?.size ?? 0
          if (signedUpTo < report.entries)
            out.line(
              `${out.style('yellow', '!')} ${
                signedUpTo === 0
                  ? `no signed checkpoint: nothing signed vouches for these ${report.entries} entries yet`
                  : `entries ${signedUpTo}..${report.entries - 1} come after the latest signed checkpoint: checked, but nothing signed vouches for them yet`
              }; accepted by --allow-unsigned-tail (\`pocnet ledger checkpoint\` signs one; an export signs one first)`,
            )
          out.line(
            `  origin   ${report.origin}${origin !== undefined && report.origin !== undefined ? ' (pinned)' : ''}`,
          )
          const keyNote =
            publicKey === undefined
              ? " (the ledger's own: compare it with the roster)"
              : report.checkpoints === 0
                ? ' (pinned, but no checkpoint was there to check against it)'
                : ' (pinned)'
          out.line(`  key      ${report.publicKey === undefined ? '-' : toHex(report.publicKey)}${keyNote}`)
          out.line(`  root     ${report.root === undefined ? '-' : toHex(report.root)}`)
          printWitnesses(report, witnesses, roster)
          out.line(
            // a bundle carries no stored (sealed) bytes: only a data directory has that count
            `  blobs    ${report.blobs.referenced} referenced, ${report.blobs.hashChecked} hash-checked, ${report.source === 'data-dir' ? `${report.blobs.storedChecked} checked as stored, ` : ''}${report.blobs.presenceOnly} presence only`,
          )
          // what "checked as stored" and "presence only" leave unchecked, and how to check it
          if (report.blobs.storedChecked > 0)
            out.line(
              "           (checked as stored: their sealed bytes match what their entries commit to; --check-blobs also decrypts them, with the node's passphrase)",
            )
          if (report.blobs.presenceOnly > 0)
            out.line(
              report.source === 'bundle'
                ? '           (presence only: the bundle holds their hashes, not their bytes, so only the exporter vouches they are intact; `ledger export --include-blob-bytes` lets them be hashed here)'
                : "           (presence only: entries written before entries committed to the stored bytes; found, not opened; --check-blobs decrypts and hashes them, with the node's passphrase)",
            )
        },
      ),
    'pocnet ledger verify',
    'pocnet ledger verify --bundle fr-2026-11.bundle --country FR',
    'pocnet ledger verify --allow-unsigned-tail   # a running node: its newest entries await a checkpoint',
    'pocnet ledger verify --bundle fr-2026-11.bundle --country FR --evidence fr-evidence.json',
    'pocnet ledger verify --bundle fr-2026-11.bundle --witnesses 3',
    'pocnet ledger verify --bundle fr-2026-11.bundle --witnesses 3 --pq-witnesses 2',
  )

  examples(
    ledger
      .command('log')
      .description('ledger entries, filtered by case, country, kind and time')
      .option('--case <id>', 'entries of one case')
      .option('--country <CC>', 'entries concerning one counterpart country', countryArg)
      .addOption(new Option('--kind <kind>', 'one kind of entry').choices([...ENTRY_KINDS]))
      .option('--from <time>', 'entries at or after (ISO 8601 with offset)', timeArg)
      .option('--to <time>', 'entries before (ISO 8601 with offset)', timeArg)
      .option('--limit <n>', 'at most n entries', positiveInt('--limit'))
      .addOption(jsonOption())
      .action(
        async (
          flags: {
            case?: string
            country?: string
            kind?: EntryKind
            from?: string
            to?: string
            limit?: number
            json?: boolean
          },
          command: Command,
        ) => {
          const ctx = Context.of(command)
          const { entries } = await ctx.call(ledgerRoutes.entries, {
            query: {
              caseId: flags.case,
              counterpart: flags.country?.toUpperCase(),
              kind: flags.kind,
              from: flags.from,
              to: flags.to,
              limit: flags.limit,
            },
          })
          if (flags.json) return out.json({ entries })
          if (entries.length === 0) return out.line('no entries')
          out.line(
            table([
              ['SEQ', 'TIME', 'KIND', 'ACTOR', 'COUNTRY', 'CASE', 'DETAIL'],
              ...entries.map((e) => [
                String(e.seq),
                formatTime(e.time, ctx.zone, { seconds: true }),
                e.kind,
                e.actor,
                e.counterpart ?? '',
                e.caseId ?? '',
                e.detail ? formatDetail(e.detail, ctx.zone) : '',
              ]),
            ]),
          )
        },
      ),
    'pocnet ledger log --country FR --from 2026-11-01T00:00:00Z',
    'pocnet ledger log --case IT-20261128-dd69bafb --json',
    'pocnet ledger log --kind auditor-access',
  )

  examples(
    ledger
      .command('export')
      .description(
        'write an export bundle (entries, checkpoints, blob hashes) for an auditor to verify offline',
      )
      .requiredOption('--out <path>', 'bundle file to write (the daemon writes it: give a path it can write)')
      .option('--include-blob-bytes', 'include the message bytes themselves, not only their hashes')
      .option(
        '--cosign-timeout <seconds>',
        `how long the node waits for the members to cosign the bundle's checkpoint (default ${DEFAULT_EXPORT_COSIGN_TIMEOUT_MS / 1000}, at most ${MAX_EXPORT_COSIGN_TIMEOUT_MS / 1000})`,
        nonNegativeInt('--cosign-timeout'),
      )
      .option('--json', 'print the result as JSON')
      .action(
        async (
          flags: { out: string; includeBlobBytes?: boolean; cosignTimeout?: number; json?: boolean },
          command: Command,
        ) => {
          const ctx = Context.of(command)
          const r = await ctx.call(
            ledgerRoutes.export,
            {
              body: {
                path: resolve(flags.out),
                includeBlobBytes: flags.includeBlobBytes === true,
                ...(flags.cosignTimeout !== undefined && { cosignTimeoutMs: flags.cosignTimeout * 1000 }),
              },
            },
            EXPORT_TIMEOUT_MS,
          )
          if (flags.json) return out.json(r)
          out.line(`${out.style('green', '✓')} exported ${r.entries} entries to ${r.path}`)
          out.line(
            `  ending at the signed checkpoint of size ${r.checkpoint.size}, root ${r.checkpoint.root}`,
          )
          const { cosigners, required, meetsPolicy } = r.witnesses
          const who = cosigners.length === 0 ? 'none' : cosigners.join(', ')
          if (meetsPolicy) {
            out.line(`  cosigned by ${cosigners.length} of ${required} required witnesses: ${who}`)
            out.line(`  verify it anywhere with: pocnet ledger verify --bundle ${r.path}`)
          } else {
            out.line(
              `${out.style('yellow', '!')} only ${cosigners.length} of ${required} required witnesses cosigned its checkpoint in time (${who}): \`ledger verify\` will need --witnesses ${cosigners.length}, or export again once the members are connected`,
            )
            out.line(
              `  verify it anywhere with: pocnet ledger verify --bundle ${r.path} --witnesses ${cosigners.length}`,
            )
          }
        },
      ),
    'pocnet ledger export --out /tmp/fr-2026-11.bundle',
  )

  registerLedgerProve(ledger)

  examples(
    ledger
      .command('checkpoint')
      .description('sign a checkpoint of the ledger now (the daemon also signs one periodically)')
      .option('--json', 'print the result as JSON')
      .action(async (flags: { json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const r = await ctx.call(ledgerRoutes.checkpoint)
        if (flags.json) return out.json(r)
        out.line(`${out.style('green', '✓')} checkpoint signed at size ${r.size}, root ${r.root}`)
      }),
    'pocnet ledger checkpoint',
  )
}
