import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { USERS_FILE } from '../src/control/users.ts'
import { DATA_DIR } from '../src/index.ts'
import { createTestFederation, PASSPHRASE, type TestFederation } from './fixtures/federation.ts'

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url))

/** Runs the daemon's entry point on `dataDir` until it exits; its exit code and stderr. */
function runMain(dataDir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, '--data-dir', dataDir], {
      env: { ...process.env, POCNET_PASSPHRASE: PASSPHRASE, POCNET_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    // a daemon that did start would print its ready line: that is the failure here
    child.stdout.on('data', () => child.kill('SIGKILL'))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stderr }))
  })
}

describe('the daemon process when its start fails part-way', () => {
  let fed: TestFederation
  beforeAll(async () => {
    fed = await createTestFederation(['IT', 'FR', 'US'])
  })
  afterAll(async () => {
    await fed?.cleanup()
  })

  it('a damaged users file stops it before it joins the network, and it exits 1', async () => {
    const dataDir = fed.nodes[0]!.dataDir
    await writeFile(join(dataDir, USERS_FILE), '{ not json')
    const { code, stderr } = await runMain(dataDir)
    expect(code).toBe(1)
    const lines = stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string })
    expect(lines.map((l) => l.event)).toContain('node.start-failed')
    // it never got as far as starting libp2p or the control socket
    expect(lines.map((l) => l.event)).not.toContain('node.started')
    expect(existsSync(join(dataDir, DATA_DIR.socket))).toBe(false)
  })

  /** The JSON log lines of a daemon's stderr. */
  const events = (stderr: string) =>
    stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; error?: string })

  it('a directory where its control socket goes stops it before it joins the network, names the socket, and is left alone', async () => {
    const dataDir = fed.nodes[1]!.dataDir
    const socket = join(dataDir, DATA_DIR.socket)
    await mkdir(socket)
    await writeFile(join(socket, 'left-behind'), 'not a socket')
    const { code, stderr } = await runMain(dataDir)
    expect(code).toBe(1)
    const lines = events(stderr)
    const failed = lines.find((l) => l.event === 'node.start-failed')
    expect(failed?.error).toBe(`control socket ${socket}: a directory is in the way: move it elsewhere`)
    expect(lines.map((l) => l.event)).not.toContain('node.started')
    // what was at the socket's path is left as it was
    expect(existsSync(join(socket, 'left-behind'))).toBe(true)
  })

  it('a socket path too long for a Unix socket stops it before it joins the network, naming the socket', async () => {
    // the same node in a data directory whose socket path is over the 107 bytes the kernel takes
    const dataDir = join(fed.base, 'd'.repeat(110))
    await cp(fed.nodes[2]!.dataDir, dataDir, { recursive: true })
    const socket = join(dataDir, DATA_DIR.socket)
    const { code, stderr } = await runMain(dataDir)
    expect(code).toBe(1)
    const lines = events(stderr)
    const failed = lines.find((l) => l.event === 'node.start-failed')
    expect(failed?.error).toContain(
      `control socket ${socket}: the path is ${Buffer.byteLength(socket)} bytes`,
    )
    expect(lines.map((l) => l.event)).not.toContain('node.started')
    expect(existsSync(socket)).toBe(false)
  })
})
