import { createInterface } from 'node:readline'
import { FileGrewError, type FileLimit, FileTooLargeError, readFileWithin } from '@pocnet/crypto'
import { PassphraseError } from './errors.ts'

/** The passphrase file holds one line, the passphrase: a file larger than this is not one. */
export const PASSPHRASE_FILE: FileLimit = {
  what: 'passphrase file',
  maxBytes: 4096,
  why: 'it holds one line, the key passphrase',
}

/**
 * The key passphrase, from (in order) POCNET_PASSPHRASE_FILE, POCNET_PASSPHRASE, or a prompt
 * on the terminal. A file is preferred for services: environment variables leak into
 * /proc/<pid>/environ and crash reports.
 */
export async function obtainPassphrase(
  env: NodeJS.ProcessEnv = process.env,
  prompt = 'Key passphrase: ',
  signal?: AbortSignal,
): Promise<string> {
  const file = env.POCNET_PASSPHRASE_FILE
  if (file !== undefined && file !== '') {
    let text: string
    try {
      text = (await readFileWithin(file, PASSPHRASE_FILE)).toString('utf8')
    } catch (err) {
      if (err instanceof FileTooLargeError) throw new PassphraseError(`POCNET_PASSPHRASE_FILE=${err.message}`)
      if (err instanceof FileGrewError)
        throw new PassphraseError(`POCNET_PASSPHRASE_FILE=${file}: it grew while it was read`)
      throw new PassphraseError(
        `POCNET_PASSPHRASE_FILE=${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      )
    }
    const pass = text.replace(/\r?\n$/, '')
    if (pass === '') throw new PassphraseError(`POCNET_PASSPHRASE_FILE=${file} is empty`)
    return pass
  }
  const fromEnv = env.POCNET_PASSPHRASE
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  if (!process.stdin.isTTY) {
    throw new PassphraseError(
      'no passphrase: set POCNET_PASSPHRASE_FILE (or POCNET_PASSPHRASE), or run on a terminal',
    )
  }
  // The callback readline: it writes everything, the echo of each key included, through
  // _writeToOutput, which is muted after the prompt. (readline/promises never calls it, so with
  // it the passphrase showed on the screen as it was typed.)
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true })
  const out = rl as unknown as { _writeToOutput?: (s: string) => void }
  let prompted = false
  out._writeToOutput = (s: string) => {
    if (!prompted) {
      process.stderr.write(s)
      prompted = true
    }
  }
  try {
    const pass = await new Promise<string>((resolve, reject) => {
      rl.once('close', () => reject(new PassphraseError('no passphrase: the prompt was closed')))
      // Ctrl-C at the prompt (the terminal is raw, so no signal is sent): give up
      rl.once('SIGINT', () => rl.close())
      // a stop asked for meanwhile (SIGTERM) closes the prompt too
      if (signal?.aborted) rl.close()
      else signal?.addEventListener('abort', () => rl.close(), { once: true })
      rl.question(prompt, resolve)
    })
    process.stderr.write('\n')
    if (pass === '') throw new PassphraseError('empty passphrase')
    return pass
  } finally {
    rl.close()
  }
}
