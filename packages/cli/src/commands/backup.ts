import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmod, copyFile, mkdir, open, readdir, rename, stat } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { type FileLimit, FileTooLargeError, readFileWithin, writeFileAtomic } from '@pocnet/crypto'
import { ledgerInUse, verifyLedger } from '@pocnet/ledger'
import { DATA_DIR, readConfig } from '@pocnet/node/client'
import type { Command } from 'commander'
import { Context, daemonAnswers, readLocalRoster } from '../context.ts'
import { CliError, DaemonRunningError, LedgerInUseError, LedgerInvalidError } from '../errors.ts'
import { examples } from '../help.ts'
import { out } from '../output.ts'
import { MEMBER_FILE } from './init.ts'

export const BACKUP_MANIFEST = 'pocnet-backup.json'
const BACKUP_FORMAT = 'pocnet-backup/1'

/** The manifest is read whole: it lists each file in about 160 bytes, a ledger's many tables too. */
export const BACKUP_MANIFEST_FILE: FileLimit = {
  what: 'backup manifest',
  maxBytes: 64 * 1024 * 1024,
  why: 'it lists each file of the backup in about 160 bytes, room for 400,000 files',
}

/** What a backup holds: everything but the socket. The ledger folder is copied whole (without its LOCK). */
const FILES = [
  DATA_DIR.key,
  DATA_DIR.mlDsaWitnessKey,
  DATA_DIR.config,
  DATA_DIR.contact,
  DATA_DIR.users,
  DATA_DIR.duty,
  DATA_DIR.roster,
  DATA_DIR.directoryMemory,
  MEMBER_FILE,
]

interface ManifestFile {
  path: string
  size: number
  sha256: string
}

interface Manifest {
  format: string
  createdAt: string
  country: string
  network: string
  files: ManifestFile[]
}

/** The manifest of the backup in `from`, its size checked before it is read. */
async function readManifest(from: string): Promise<Manifest> {
  const hint = 'give the folder `pocnet backup --out` wrote'
  try {
    return JSON.parse(
      (await readFileWithin(join(from, BACKUP_MANIFEST), BACKUP_MANIFEST_FILE)).toString('utf8'),
    ) as Manifest
  } catch (e) {
    if (e instanceof FileTooLargeError) throw new CliError('ERR_BACKUP', e.message, { hint })
    throw new CliError('ERR_BACKUP', `${from} holds no readable ${BACKUP_MANIFEST}`, {
      hint: `(${(e as Error).message}) ${hint}`,
    })
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return hash.digest('hex')
}

async function listTree(root: string, dir = root): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) found.push(...(await listTree(root, full)))
    else if (entry.isFile() && entry.name !== 'LOCK') found.push(relative(root, full))
  }
  return found
}

/** The node's own roster key, to pin the ledger verification to it. */
async function rosterKey(
  dataDir: string,
): Promise<{ country: string; network: string; key: Uint8Array | undefined }> {
  const config = await readConfig(dataDir)
  const key = (await readLocalRoster(join(dataDir, DATA_DIR.roster)))?.members.get(config.country)?.publicKey
  return { country: config.country, network: config.network, key }
}

async function verifyCopy(dataDir: string): Promise<number> {
  const ledgerDir = join(dataDir, DATA_DIR.ledger)
  if (!(await exists(ledgerDir))) return 0
  const { key } = await rosterKey(dataDir)
  const report = await verifyLedger(ledgerDir, key === undefined ? {} : { publicKey: key })
  if (!report.ok)
    throw new LedgerInvalidError(report.problem?.reason ?? 'unknown problem', report.problem?.seq)
  return report.entries
}

/** fsync of a file or a directory (a directory's entries: the names of the files in it). */
async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Refuses when a daemon serves on, or still starts on, this data directory. */
export async function refuseWhileRunning(ctx: Context): Promise<void> {
  if (await daemonAnswers(ctx.socketPath)) throw new DaemonRunningError(ctx.socketPath)
  // a node still starting (upgrading its ledger, rebuilding its cases) has no socket yet, but
  // it holds the ledger's lock already
  if ((await exists(ctx.path('ledger'))) && (await ledgerInUse(ctx.path('ledger'))))
    throw new LedgerInUseError(ctx.path('ledger'))
}

export function registerBackup(program: Command): void {
  examples(
    program
      .command('backup')
      .description('copy keys, config, users, roster, directory memory and ledger to a folder (node stopped)')
      .requiredOption('--out <dir>', 'a new or empty folder for the backup')
      .action(async (flags: { out: string }, command: Command) => {
        const ctx = Context.of(command)
        await refuseWhileRunning(ctx)
        const target = resolve(flags.out)
        if ((await exists(target)) && (await readdir(target)).length > 0)
          throw new CliError('ERR_BACKUP_EXISTS', `${target} is not empty`, {
            hint: 'choose a new folder for --out',
          })
        const { country, network } = await rosterKey(ctx.dataDir)
        const present: string[] = []
        for (const f of FILES) if (await exists(join(ctx.dataDir, f))) present.push(f)
        if (await exists(ctx.path('ledger')))
          present.push(...(await listTree(ctx.path('ledger'))).map((f) => join(DATA_DIR.ledger, f)))
        // the keys `pocnet key rotate` retired: a restore must still open their message bodies
        if (await exists(ctx.path('retiredKeys')))
          present.push(...(await listTree(ctx.path('retiredKeys'))).map((f) => join(DATA_DIR.retiredKeys, f)))
        await mkdir(target, { recursive: true, mode: 0o700 })
        await chmod(target, 0o700)
        const files: ManifestFile[] = []
        const dirs = new Set<string>([target])
        for (const f of present) {
          const dest = join(target, f)
          await mkdir(dirname(dest), { recursive: true, mode: 0o700 })
          dirs.add(dirname(dest))
          await copyFile(join(ctx.dataDir, f), dest)
          await chmod(dest, 0o600)
          await syncPath(dest)
          files.push({ path: f, size: (await stat(dest)).size, sha256: await hashFile(dest) })
        }
        // on disk before the manifest says the backup is whole: a power cut leaves no manifest
        for (const dir of dirs) await syncPath(dir)
        // and verified before it, so a copy whose ledger fails has no manifest: restore refuses it
        const entries = await verifyCopy(target)
        const manifest: Manifest = {
          format: BACKUP_FORMAT,
          createdAt: new Date().toISOString(),
          country,
          network,
          files,
        }
        await writeFileAtomic(
          join(target, BACKUP_MANIFEST),
          new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
          0o600,
        )
        out.line(
          `${out.style('green', '✓')} backup of ${country} written to ${target}: ${files.length} files`,
        )
        out.line(`  ledger copy verified: ${entries} entries`)
        out.line(
          '  the key file stays encrypted with the node passphrase: keep the passphrase apart from the backup',
        )
      }),
    'pocnet backup --out /srv/backup/pocnet-$(date +%F)',
  )

  examples(
    program
      .command('restore')
      .description('restore a backup into the data directory and verify its ledger (node stopped)')
      .requiredOption('--from <dir>', 'a folder written by `pocnet backup`')
      .option('--force', 'replace an existing node (it is moved aside, not deleted)')
      .action(async (flags: { from: string; force?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        await refuseWhileRunning(ctx)
        const from = resolve(flags.from)
        const manifest = await readManifest(from)
        if (manifest.format !== BACKUP_FORMAT)
          throw new CliError('ERR_BACKUP', `${from}: unknown backup format ${String(manifest.format)}`)
        for (const f of manifest.files) {
          const src = join(from, f.path)
          if (!resolve(src).startsWith(`${from}/`))
            throw new CliError('ERR_BACKUP', `${f.path}: path leaves the backup`)
          if (!(await exists(src))) throw new CliError('ERR_BACKUP', `${f.path} is missing from the backup`)
          if ((await hashFile(src)) !== f.sha256)
            throw new CliError(
              'ERR_BACKUP',
              `${f.path} does not match its hash in the manifest: the backup was altered`,
            )
        }
        const occupied = (await exists(ctx.path('key'))) || (await exists(ctx.path('config')))
        if (occupied && !flags.force)
          throw new CliError('ERR_RESTORE_EXISTS', `${ctx.dataDir} already holds a node`, {
            hint: 'pass --force to move it aside and restore over it, or choose another --data-dir',
          })
        // The ledger is verified in the backup, before the data directory is touched: a backup that
        // fails leaves the node (its keys, its ledger) where it is. What is verified is what is
        // restored: a ledger file the manifest does not list is refused.
        if (await exists(join(from, DATA_DIR.ledger))) {
          const listed = new Set(manifest.files.map((f) => f.path))
          for (const f of await listTree(join(from, DATA_DIR.ledger)))
            if (!listed.has(join(DATA_DIR.ledger, f)))
              throw new CliError(
                'ERR_BACKUP',
                `${join(DATA_DIR.ledger, f)} is not in the manifest: the backup was altered`,
              )
        }
        const entries = await verifyCopy(from)
        if (occupied) {
          const aside = `${ctx.dataDir}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`
          await rename(ctx.dataDir, aside)
          out.line(`moved the existing node aside to ${aside}`)
        }
        await mkdir(ctx.dataDir, { recursive: true, mode: 0o700 })
        await chmod(ctx.dataDir, 0o700)
        for (const f of manifest.files) {
          const dest = join(ctx.dataDir, f.path)
          await mkdir(dirname(dest), { recursive: true, mode: 0o700 })
          await copyFile(join(from, f.path), dest)
          await chmod(dest, 0o600)
          // what was checked is what is restored, even if the backup changes meanwhile
          if ((await hashFile(dest)) !== f.sha256)
            throw new CliError('ERR_BACKUP', `${f.path} changed in the backup while it was restored`)
        }
        out.line(
          `${out.style('green', '✓')} restored ${manifest.country} (${manifest.files.length} files) into ${ctx.dataDir}`,
        )
        out.line(`  ledger verified: ${entries} entries`)
        out.line('  start it with `pocnet start` (the passphrase is the one the backup was made with)')
      }),
    'pocnet --data-dir /var/lib/pocnet restore --from /srv/backup/pocnet-2026-11-28',
    'pocnet restore --from ./backup --force',
  )
}
