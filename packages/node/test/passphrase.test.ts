import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import { DATA_DIR } from '../src/index.ts'

// The prompt needs a terminal: util-linux `script` gives the child one, as a person at a
// console would. A child reads the passphrase with obtainPassphrase and prints its length.
const PROMPTER = fileURLToPath(new URL('./fixtures/prompt-passphrase.ts', import.meta.url))
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url))
const hasScript = spawnSync('script', ['--version']).status === 0

function atTerminal(typed: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', `${process.execPath} ${PROMPTER}`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let screen = ''
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString()
      // type once the prompt is up, as a person would
      if (screen.includes('Key passphrase: ') && typed !== '') {
        child.stdin.write(typed)
        typed = ''
      }
    })
    child.once('error', reject)
    child.once('close', () => resolve(screen))
  })
}

describe.skipIf(!hasScript)('the passphrase prompt on a terminal', () => {
  it('does not show what is typed', async () => {
    const screen = await atTerminal('SuperSecret123\r')
    expect(screen).toContain('Key passphrase: ')
    expect(screen).toContain('[14 characters]')
    expect(screen).not.toContain('SuperSecret')
  })

  it('gives up on Ctrl-C', async () => {
    const screen = await atTerminal('Super\u0003')
    expect(screen).toContain('no passphrase: the prompt was closed')
    expect(screen).not.toContain('Super')
  })

  it('the daemon waiting at the prompt closes it on SIGTERM and exits', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pocnet-prompt-'))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    // no passphrase from the environment: the daemon asks for it on its terminal
    const env: NodeJS.ProcessEnv = { POCNET_LOG_LEVEL: 'info' }
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('POCNET_')) env[k] = v
    // the shell prints its pid, then becomes the daemon (exec): that pid is the daemon's
    const command = `echo "pid=$$"; exec '${process.execPath}' '${MAIN}' --data-dir '${dataDir}'`
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env })
    let screen = ''
    let signalled = false
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString()
      if (!signalled && screen.includes('Key passphrase: ')) {
        signalled = true
        process.kill(Number(/pid=(\d+)/.exec(screen)![1]), 'SIGTERM')
      }
    })
    // a daemon that lingers at its closed prompt would hang here: give up on it
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000)
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', (c) => resolve(c))
    })
    clearTimeout(guard)
    expect(signalled, screen).toBe(true)
    // `script -e` exits with the daemon's code: 1, its start failed (and not a kill by the guard)
    expect(code, screen).toBe(1)
    expect(screen).toMatch(/"event":"node\.signal".*"signal":"SIGTERM"/)
    expect(screen).toMatch(/"event":"node\.start-failed".*"error":"no passphrase: the prompt was closed"/)
    expect(screen).not.toContain('node.started')
    expect(existsSync(join(dataDir, DATA_DIR.socket))).toBe(false)
  })
})
