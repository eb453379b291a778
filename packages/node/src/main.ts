/**
 * The daemon process: `node packages/node/src/main.ts --data-dir <dir>`. Prints one JSON
 * line to stdout once it serves; logs JSON to stderr; SIGTERM or SIGINT stop it cleanly.
 */
import { parseArgs } from 'node:util'
import { runDaemon } from './run.ts'

const { values } = parseArgs({ options: { 'data-dir': { type: 'string' } } })
const dataDir = values['data-dir'] ?? process.env.POCNET_HOME
if (dataDir === undefined) {
  process.stderr.write('usage: main.ts --data-dir <dir> (or POCNET_HOME)\n')
  process.exit(2)
}
process.exitCode = await runDaemon({ dataDir })
