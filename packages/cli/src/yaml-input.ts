import type { YAMLError } from 'yaml'
import { CliError, EXIT } from './errors.ts'

/** Where the YAML came from, for the error: a file name or an option (`--identifier #2`). */
export interface YamlSource {
  where: string
  /** The error's code. */
  code: string
  exitCode?: number
  /** Said after a syntax error. */
  hint: string
}

/** Most syntax errors listed: after the first few, the rest are usually echoes of them. */
const MAX_ERRORS_LISTED = 3

/** Most characters of an unclosed quoted text quoted back. */
const EXCERPT_LENGTH = 24

/** The number of the last line of `text` (a final newline ends that line, it opens no new one). */
function lastLine(text: string): number {
  let lines = 1
  for (let i = 0; i < text.length - 1; i++) if (text[i] === '\n') lines++
  return lines
}

/** 1-based line and column of `offset` in `text`. */
function positionOf(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  return { line, col: offset - before.lastIndexOf('\n') }
}

/** The offset of the quoted text an error at `offset` runs to the end of, if there is one. */
async function openingQuote(text: string, offset: number): Promise<number | undefined> {
  const { CST, Parser } = await import('yaml')
  let found: number | undefined
  for (const token of new Parser().parse(text)) {
    if (token.type !== 'document') continue
    CST.visit(token, (item) => {
      for (const t of [item.key, item.value]) {
        if (t === null || t === undefined || !('source' in t) || typeof t.source !== 'string') continue
        if (t.type !== 'double-quoted-scalar' && t.type !== 'single-quoted-scalar') continue
        if (t.offset <= offset && offset <= t.offset + t.source.length) found = t.offset
      }
    })
  }
  return found
}

/** One syntax error in the user's terms, at the line it is on (never a line past the end). */
async function describeError(text: string, error: YAMLError): Promise<string> {
  // the parser's own words, without the position it appends (" at line 5, column 1:") and the excerpt
  const words = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
  const offset = Math.min(error.pos[0], text.length)
  if (error.code === 'MISSING_CHAR' && /quote/.test(words)) {
    const start = await openingQuote(text, offset)
    if (start !== undefined) {
      const quote = text[start]
      const { line } = positionOf(text, start)
      const opened = text.slice(start).split('\n')[0]!
      const excerpt = opened.length > EXCERPT_LENGTH ? `${opened.slice(0, EXCERPT_LENGTH)}…` : opened
      return `line ${line}: the text in quotes that starts here (${excerpt}) has no closing ${quote}`
    }
  }
  const last = lastLine(text)
  const { line, col } = positionOf(text, offset)
  if (line > last || offset >= text.length) return `line ${last} (the end of the file): ${words}`
  return `line ${line}, column ${col}: ${words}`
}

/**
 * Parses YAML a user wrote (a request form, an option's value) into plain values. A syntax error
 * names its line as the user counts lines, an unclosed quote the line where it opens; aliases that
 * would expand into a flood of values (the "billion laughs" attack) are refused in plain words.
 */
export async function parseYaml(text: string, source: YamlSource): Promise<unknown> {
  // YAML is loaded only by the commands that read YAML: it is a third of the CLI's start-up
  const { parseDocument } = await import('yaml')
  const doc = parseDocument(text, { prettyErrors: false })
  const exitCode = source.exitCode ?? EXIT.failure
  if (doc.errors.length > 0) {
    const lines = await Promise.all(doc.errors.slice(0, MAX_ERRORS_LISTED).map((e) => describeError(text, e)))
    throw new CliError(source.code, `${source.where} is not valid YAML`, {
      lines: lines.map((l) => `  ${l}`),
      hint: source.hint,
      exitCode,
    })
  }
  try {
    return doc.toJS()
  } catch (e) {
    // the yaml package refuses aliases that would copy more than 100 values, as a resource attack
    if (e instanceof ReferenceError && /alias/i.test(e.message))
      throw new CliError(
        source.code,
        `${source.where}: its YAML aliases (*name) repeat anchored values (&name) so often that a few lines would expand to a flood of values, as in a "billion laughs" attack; nothing was read`,
        {
          hint: 'write each value out in full: a request form needs no anchors (&name) or aliases (*name)',
          exitCode,
        },
      )
    throw new CliError(source.code, `${source.where}: cannot read its YAML (${(e as Error).message})`, {
      hint: source.hint,
      exitCode,
    })
  }
}
