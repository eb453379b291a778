import { HarnessError } from './errors.ts'

/** The two exposition formats: Prometheus text 0.0.4 and OpenMetrics 1.0. */
export type ExpositionFormat = 'prometheus' | 'openmetrics'

export interface ExpositionSample {
  /** The sample's own name: the family's, or with `_total`, `_bucket`, `_sum`, … */
  name: string
  labels: Record<string, string>
  value: number
}

export interface MetricFamily {
  name: string
  type: string
  help: string | undefined
  samples: ExpositionSample[]
}

/** A scrape that does not parse as its exposition format: names the line and the rule. */
export class ExpositionError extends HarnessError {
  readonly line: number
  constructor(line: number, message: string) {
    super('ERR_EXPOSITION', `line ${line}: ${message}`)
    this.line = line
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const FLOAT = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/
const TYPES: Record<ExpositionFormat, readonly string[]> = {
  prometheus: ['counter', 'gauge', 'histogram', 'summary', 'untyped'],
  openmetrics: ['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown'],
}
/** The sample names a family of each type may carry, as suffixes of its name. */
const SUFFIXES: Record<string, readonly string[]> = {
  counter: ['', '_total', '_created'],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['', '_sum', '_count', '_created'],
  info: ['_info'],
}

/** A sample value: a float as Go's ParseFloat reads it, NaN or ±Inf (in any case, as both formats allow). */
function parseValue(text: string, line: number): number {
  if (/^nan$/i.test(text)) return Number.NaN
  const inf = /^([+-]?)inf(?:inity)?$/i.exec(text)
  if (inf !== null) return inf[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  if (!FLOAT.test(text)) throw new ExpositionError(line, `${JSON.stringify(text)} is not a number`)
  return Number(text)
}

/** Reads `{a="x",b="y"}` from `text` at `start` (its `{`); returns the labels and where the `}` ends. */
function parseLabels(
  text: string,
  start: number,
  line: number,
): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {}
  let i = start + 1
  while (text[i] !== '}') {
    const eq = text.indexOf('=', i)
    if (eq < 0) throw new ExpositionError(line, 'a label without "="')
    const name = text.slice(i, eq)
    if (!LABEL_NAME.test(name)) throw new ExpositionError(line, `${JSON.stringify(name)} is not a label name`)
    if (Object.hasOwn(labels, name)) throw new ExpositionError(line, `label ${name} given twice`)
    if (text[eq + 1] !== '"') throw new ExpositionError(line, `label ${name}: its value must be quoted`)
    let value = ''
    let j = eq + 2
    for (;;) {
      const c = text[j]
      if (c === undefined) throw new ExpositionError(line, `label ${name}: its value is not closed`)
      if (c === '"') break
      if (c === '\\') {
        const next = text[j + 1]
        if (next === 'n') value += '\n'
        else if (next === '\\' || next === '"') value += next
        else throw new ExpositionError(line, `label ${name}: unknown escape \\${next ?? ''}`)
        j += 2
      } else {
        value += c
        j++
      }
    }
    labels[name] = value
    i = j + 1
    if (text[i] === ',') i++
    else if (text[i] !== '}') throw new ExpositionError(line, `after label ${name}: expected "," or "}"`)
  }
  return { labels, end: i + 1 }
}

function parseSample(text: string, line: number): ExpositionSample {
  const nameEnd = text.search(/[{ ]/)
  if (nameEnd <= 0) throw new ExpositionError(line, 'a sample needs a name and a value')
  const name = text.slice(0, nameEnd)
  if (!METRIC_NAME.test(name)) throw new ExpositionError(line, `${JSON.stringify(name)} is not a metric name`)
  let rest = nameEnd
  let labels: Record<string, string> = {}
  if (text[nameEnd] === '{') ({ labels, end: rest } = parseLabels(text, nameEnd, line))
  if (text[rest] !== ' ') throw new ExpositionError(line, `${name}: expected a space before the value`)
  const fields = text.slice(rest + 1).split(' ')
  if (fields.length > 2 || fields.some((f) => f === ''))
    throw new ExpositionError(line, `${name}: expected a value and at most a timestamp, single-spaced`)
  if (fields[1] !== undefined && !FLOAT.test(fields[1]))
    throw new ExpositionError(line, `${name}: ${JSON.stringify(fields[1])} is not a timestamp`)
  return { name, labels, value: parseValue(fields[0]!, line) }
}

/** The family a sample named `sample` belongs to, of those `type` allows, or undefined. */
function belongs(family: MetricFamily, sample: string): boolean {
  const suffixes = SUFFIXES[family.type] ?? ['']
  return suffixes.some((s) => sample === `${family.name}${s}`)
}

/** Checks a histogram's buckets: each series has a `+Inf` bucket equal to its count, and none decreases. */
function checkHistogram(family: MetricFamily, line: number): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number }>()
  const keyOf = (labels: Record<string, string>) =>
    JSON.stringify(
      Object.entries(labels)
        .filter(([k]) => k !== 'le')
        .sort(),
    )
  for (const s of family.samples) {
    const entry = series.get(keyOf(s.labels)) ?? { buckets: [] }
    series.set(keyOf(s.labels), entry)
    if (s.name.endsWith('_bucket')) {
      if (s.labels.le === undefined) throw new ExpositionError(line, `${s.name}: a bucket without "le"`)
      entry.buckets.push([parseValue(s.labels.le, line), s.value])
    } else if (s.name.endsWith('_count')) entry.count = s.value
  }
  for (const { buckets, count } of series.values()) {
    buckets.sort((a, b) => a[0] - b[0])
    for (let i = 1; i < buckets.length; i++)
      if (buckets[i]![1] < buckets[i - 1]![1])
        throw new ExpositionError(line, `${family.name}: bucket le=${buckets[i]![0]} is below the one before`)
    const inf = buckets.at(-1)
    if (inf === undefined || inf[0] !== Number.POSITIVE_INFINITY)
      throw new ExpositionError(line, `${family.name}: no le="+Inf" bucket`)
    if (count !== undefined && inf[1] !== count)
      throw new ExpositionError(
        line,
        `${family.name}: the +Inf bucket (${inf[1]}) is not the count (${count})`,
      )
  }
}

/**
 * Parses a scrape strictly as `format`: every line a HELP, TYPE or sample (OpenMetrics ends with
 * `# EOF`), one TYPE per family before its samples, each family's samples together and named by
 * its type, no series twice, counters not negative, histograms consistent. Throws ExpositionError
 * on the first line breaking a rule.
 */
export function parseExposition(text: string, format: ExpositionFormat): Map<string, MetricFamily> {
  if (!text.endsWith('\n'))
    throw new ExpositionError(text.split('\n').length, 'the text must end with a newline')
  const lines = text.slice(0, -1).split('\n')
  const families = new Map<string, MetricFamily>()
  const series = new Set<string>()
  let current: MetricFamily | undefined
  let eof = false
  const family = (name: string, line: number): MetricFamily => {
    if (!METRIC_NAME.test(name))
      throw new ExpositionError(line, `${JSON.stringify(name)} is not a metric name`)
    const found = families.get(name)
    if (found !== undefined && found !== current)
      throw new ExpositionError(line, `${name}: its lines must be together, not split by another family`)
    if (found !== undefined) return found
    if (current?.type === 'histogram') checkHistogram(current, line)
    current = { name, type: format === 'openmetrics' ? 'unknown' : 'untyped', help: undefined, samples: [] }
    families.set(name, current)
    return current
  }
  for (const [i, text] of lines.entries()) {
    const line = i + 1
    if (eof) throw new ExpositionError(line, 'nothing may follow "# EOF"')
    if (text === '') {
      if (format === 'openmetrics') throw new ExpositionError(line, 'OpenMetrics has no empty lines')
      continue
    }
    if (text === '# EOF' && format === 'openmetrics') {
      eof = true
      continue
    }
    const meta = /^# (HELP|TYPE|UNIT) (\S+)(?: (.*))?$/.exec(text)
    if (meta !== null) {
      const [, keyword, name, rest] = meta
      const f = family(name!, line)
      if (f.samples.length > 0) throw new ExpositionError(line, `${name}: ${keyword} after its samples`)
      if (keyword === 'HELP') {
        if (f.help !== undefined) throw new ExpositionError(line, `${name}: a second HELP`)
        f.help = rest ?? ''
      } else if (keyword === 'TYPE') {
        if (!TYPES[format].includes(rest ?? '')) throw new ExpositionError(line, `${name}: no type ${rest}`)
        if (f.type !== 'untyped' && f.type !== 'unknown')
          throw new ExpositionError(line, `${name}: a second TYPE`)
        f.type = rest!
      } else if (format !== 'openmetrics') throw new ExpositionError(line, 'UNIT is OpenMetrics only')
      continue
    }
    if (text.startsWith('#')) {
      if (format === 'openmetrics') throw new ExpositionError(line, `not a HELP, TYPE, UNIT or EOF line`)
      continue
    }
    const sample = parseSample(text, line)
    const f = current !== undefined && belongs(current, sample.name) ? current : family(sample.name, line)
    if (!belongs(f, sample.name))
      throw new ExpositionError(line, `${sample.name}: not a sample of a ${f.type}`)
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`
    if (series.has(key)) throw new ExpositionError(line, `${sample.name}: the same series twice`)
    series.add(key)
    if (f.type === 'counter' && !(sample.value >= 0))
      throw new ExpositionError(line, `${sample.name}: a counter must be 0 or more`)
    f.samples.push(sample)
  }
  if (format === 'openmetrics' && !eof)
    throw new ExpositionError(lines.length, 'OpenMetrics must end with "# EOF"')
  if (current?.type === 'histogram') checkHistogram(current, lines.length)
  return families
}
