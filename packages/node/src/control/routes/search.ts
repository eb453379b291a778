import { type KeyKind, SEARCH_KINDS } from '@pocnet/cases'
import { ControlApiError } from '../errors.ts'

/** The longest search text: a URL or a reference, never a request. */
const MAX_QUERY_LENGTH = 2048

/** Checks `GET /search`'s query: `q`, the text, and `type`, one of SEARCH_KINDS when given. */
export function parseSearch(query: URLSearchParams): { q: string; kind: KeyKind | undefined } {
  const q = query.get('q')?.trim() ?? ''
  if (q === '' || q.length > MAX_QUERY_LENGTH)
    throw new ControlApiError(400, 'ERR_FIELD', `q: must be 1-${MAX_QUERY_LENGTH} characters of text`, {
      details: { field: 'q' },
    })
  const type = query.get('type')
  if (type !== null && !(SEARCH_KINDS as readonly string[]).includes(type))
    throw new ControlApiError(400, 'ERR_FIELD', `type: must be one of ${SEARCH_KINDS.join(', ')}`, {
      details: { field: 'type' },
    })
  return { q, kind: (type ?? undefined) as KeyKind | undefined }
}
