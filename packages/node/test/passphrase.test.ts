import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The prompt needs a terminal: util-linux `script` gives the child one, as a person at a
// console would. A child reads the passphrase with obtainPassphrase and prints its length.
const PROMPTER = fileURLToPath(new URL('./prompt-passphrase.ts', import.meta.url))
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
})
