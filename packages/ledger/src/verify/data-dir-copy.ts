import { constants, existsSync } from 'node:fs'
import { copyFile, lstat, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DB_DIR, LATEST_CHECKPOINT_FILE, readLatestCheckpointFile } from '../store.ts'
import { Failure } from './report.ts'

/*
 * A point-in-time copy of a data directory's ledger, taken without writing to it and while the
 * node may be running (docs/ledger.md §7): the verifier opens the copy, never the node's files.
 */

/** A data directory's database copied once, and its checkpoint file read once, for both passes. */
export interface DataDirSnapshot {
  copy: string
  /** The latest checkpoint file's bytes, once the copy is made (or the failure to make it). */
  prepared?: Promise<Uint8Array | undefined>
}

/** Reads the latest checkpoint file, then copies the database to `copy`; the file's bytes. */
export async function copyDataDir(
  dir: string,
  copy: string,
  warm: (sourceBytes: number) => void,
): Promise<Uint8Array | undefined> {
  const source = join(dir, DB_DIR)
  if (!existsSync(source)) throw new Failure(`${dir} holds no ledger database (${DB_DIR}/)`)
  // Read before the database is copied: the node writes this file after the entries it
  // signs, so it never signs more than the copy holds, even while the node runs.
  await regularFileSize(join(dir, LATEST_CHECKPOINT_FILE)).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
  })
  const latestFile = await readLatestCheckpointFile(dir)
  await copyDatabase(source, copy, warm)
  return latestFile
}

/** How many times the copy of a database that keeps changing under it is started again. */
const COPY_ATTEMPTS = 10

/**
 * Copies a LevelDB directory, without its lock, as one state of the database, even while the
 * node writes to it. That state is the manifest CURRENT names — the table files it lists and the
 * logs after it — so the manifest is copied first, the tables next and the logs last, and the copy
 * is kept only if CURRENT and the manifest did not change meanwhile. Appends to a log during the
 * copy do no harm: LevelDB drops a torn last record whole when it opens the copy, and each ledger
 * write is one record. A flush or a compaction (the manifest changed) or a file that vanished
 * starts the copy again.
 *
 * Every file is copied — cloned where the file system can (copy-on-write) — and never hard-linked:
 * LevelDB writes files when it opens the copy, and through a link it could overwrite the node's.
 */
async function copyDatabase(
  source: string,
  copy: string,
  warm: (sourceBytes: number) => void,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (await copyDatabaseOnce(source, copy, warm)) return
    } catch (err) {
      if (err instanceof Failure) throw err
      // a file compacted away mid-copy is the database changing; anything else is a real error
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= COPY_ATTEMPTS)
        throw new Failure(`could not copy ${source}: ${(err as Error).message}`)
    }
    if (attempt >= COPY_ATTEMPTS)
      throw new Failure(
        `${source} changed during each of ${COPY_ATTEMPTS} copies; retry, or verify an export bundle (pocnet ledger export)`,
      )
    await rm(copy, { recursive: true, force: true })
    await mkdir(copy, { recursive: true })
  }
}

/**
 * The size of a file of the database, which must be a regular file: through a symbolic link, a
 * FIFO or a device, the copy would read what lies elsewhere on the auditor's machine, wait
 * forever (a FIFO) or never end (/dev/zero). LevelDB itself only makes regular files.
 */
async function regularFileSize(path: string): Promise<number> {
  const info = await lstat(path)
  if (!info.isFile())
    throw new Failure(`${path} is not a regular file (a symbolic link, a FIFO or a device): not copied`)
  return info.size
}

/** One try of copyDatabase: false when the database changed during it. */
async function copyDatabaseOnce(
  source: string,
  copy: string,
  warm: (sourceBytes: number) => void,
): Promise<boolean> {
  await regularFileSize(join(source, 'CURRENT'))
  const current = await readFile(join(source, 'CURRENT'), 'latin1')
  const manifest = current.trimEnd()
  if (!/^MANIFEST-[0-9]+$/.test(manifest))
    throw new Failure(`${join(source, 'CURRENT')} does not name a LevelDB manifest`)
  const manifestSize = await regularFileSize(join(source, manifest))
  const names = await readdir(source)
  const tables = names.filter((name) => /^[0-9]+\.(ldb|sst)$/.test(name))
  const logs = names.filter((name) => /^[0-9]+\.log$/.test(name))
  // a file compacted away meanwhile counts as empty (the copy below finds it gone and starts again)
  const sizeOf = (name: string) =>
    regularFileSize(join(source, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return 0
      throw err
    })
  const sizes = await Promise.all(tables.map(sizeOf))
  await Promise.all(logs.map(sizeOf))
  warm(sizes.reduce((a, b) => a + b, manifestSize))
  await writeFile(join(copy, 'CURRENT'), current, 'latin1')
  await copyFile(join(source, manifest), join(copy, manifest))
  for (const name of [...tables, ...logs])
    await copyFile(join(source, name), join(copy, name), constants.COPYFILE_FICLONE)
  const currentAfter = await readFile(join(source, 'CURRENT'), 'latin1')
  const manifestSizeAfter = (await stat(join(source, manifest)).catch(() => ({ size: -1 }))).size
  return currentAfter === current && manifestSizeAfter === manifestSize
}
