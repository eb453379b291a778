// Child process for cli.test.ts: holds a node's ledger open as a daemon does from early in its
// start-up, before it has a control socket. Prints "locked" once it holds the LevelDB lock;
// closes the database and exits when its stdin closes.
import { join } from 'node:path'
import { DB_DIR, openLevel } from '../packages/ledger/src/store.ts'

const db = openLevel(join(process.argv[2]!, DB_DIR), false)
await db.open()
process.stdout.write('locked\n')
process.stdin.resume()
process.stdin.once('end', () => {
  void db.close().then(() => process.exit(0))
})
