import { join } from 'node:path'
import { DB_DIR, openLevel } from './store.ts'

/**
 * Whether another process holds the ledger database in `dir` (a node running, or still starting):
 * LevelDB's lock says so where a control socket may not answer yet. Opening it to find out is
 * what the node does at start anyway (it replays LevelDB's log), so a stopped node's copy taken
 * after this is as the node would find it.
 */
export async function ledgerInUse(dir: string): Promise<boolean> {
  const db = openLevel(join(dir, DB_DIR), false)
  try {
    await db.open()
    return false
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string } }
    if (e.code === 'LEVEL_LOCKED' || e.cause?.code === 'LEVEL_LOCKED') return true
    throw err
  } finally {
    await db.close().catch(() => {})
  }
}
