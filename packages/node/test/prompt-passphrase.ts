// Child process for passphrase.test.ts: reads a passphrase at the terminal, prints its length.
import { obtainPassphrase } from '../src/passphrase.ts'

try {
  const passphrase = await obtainPassphrase({})
  process.stderr.write(`[${passphrase.length} characters]\n`)
  process.exit(0)
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`)
  process.exit(1)
}
