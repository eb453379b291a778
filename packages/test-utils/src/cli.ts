import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { HarnessError } from './errors.ts'
import type { FederationNode } from './federation.ts'

/** The CLI's entry point, run as `node packages/cli/src/bin.js <args>`. */
export const CLI_BIN = fileURLToPath(new URL('../../cli/src/bin.js', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs `pocnet <args>` as a separate process against a node's data directory, as its operator
 * (or with `token`), with no POCNET_* variable of the test's own environment leaking in.
 */
export function runCli(node: FederationNode, args: string[], token = node.operatorToken): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('POCNET_') && k !== 'NO_COLOR') env[k] = v
  Object.assign(env, {
    NO_COLOR: '1',
    TZ: 'UTC',
    // the CLI's compile cache goes beside the federation's files, not to ~/.cache/pocnet
    XDG_CACHE_HOME: join(dirname(node.dataDir), 'cli-cache'),
    POCNET_HOME: node.dataDir,
    POCNET_PASSPHRASE_FILE: node.passphraseFile,
    POCNET_TOKEN: token,
  })
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Runs a CLI command that must succeed and returns its stdout parsed as JSON. */
export async function runCliJson<T>(node: FederationNode, args: string[]): Promise<T> {
  const r = await runCli(node, args)
  if (r.code !== 0)
    throw new HarnessError(
      'ERR_CLI',
      `pocnet ${args.join(' ')} exited with ${r.code} on ${node.country}:\n${r.stderr.trim()}`,
    )
  return JSON.parse(r.stdout) as T
}
