import { ControlApiError } from './errors.ts'

/**
 * The field rules of the control API's requests: each failure is a 400 naming the field and the
 * rule it broke.
 */

export const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** A request body that must be a JSON object. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ControlApiError(400, 'ERR_BODY', 'request body must be a JSON object')
  }
  return body as Record<string, unknown>
}

export function requireString(
  body: Record<string, unknown>,
  field: string,
  rule: RegExp | ((text: string) => boolean),
  ruleText: string,
): string {
  const v = body[field]
  if (typeof v !== 'string' || !(typeof rule === 'function' ? rule(v) : rule.test(v))) {
    throw new ControlApiError(400, 'ERR_FIELD', `${field}: ${ruleText}`, { details: { field } })
  }
  return v
}

/** The optional client idempotency key of a submission (a retry with it returns the first result). */
export function optionalKey(body: Record<string, unknown>): string | undefined {
  if (body.idempotencyKey === undefined) return undefined
  return requireString(
    body,
    'idempotencyKey',
    /^[A-Za-z0-9._:-]{8,128}$/,
    'must be 8-128 characters of A-Z a-z 0-9 . _ : -',
  )
}

/** An optional query parameter that is a timestamp with its zone, as milliseconds since the epoch. */
export function timeParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name)
  if (v === null || v === '') return undefined
  const t = Date.parse(v)
  if (Number.isNaN(t) || !/(Z|[+-]\d{2}:\d{2})$/.test(v)) {
    throw new ControlApiError(
      400,
      'ERR_FIELD',
      `${name}: must be a timestamp with a zone, e.g. 2026-11-28T14:00:00Z`,
    )
  }
  return t
}

/** A string field that must be one of `choices`. */
export function requireOneOf<T extends string>(
  body: Record<string, unknown>,
  field: string,
  choices: readonly T[],
): T {
  const v = body[field]
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw new ControlApiError(400, 'ERR_FIELD', `${field}: must be one of ${choices.join(', ')}`, {
      details: { field },
    })
  }
  return v as T
}
