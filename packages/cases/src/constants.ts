import type { ClockConfig } from './clocks.ts'

/** Every request type a PoC can send: one per Convention service, and Art. 26 spontaneous information. */
export const REQUEST_TYPES = [
  'preservation',
  'traffic-data-disclosure',
  'emergency-disclosure',
  'technical-advice',
  'evidence-collection',
  'legal-information',
  'locate-suspect',
  'emergency-assistance',
  'spontaneous-information',
] as const
export type RequestType = (typeof REQUEST_TYPES)[number]

/** The versioned `schema` value each form carries; a new version gets a new string, never a changed meaning. */
export const SCHEMAS = {
  preservation: 'pocnet/preservation/v1',
  'traffic-data-disclosure': 'pocnet/traffic-data-disclosure/v1',
  'emergency-disclosure': 'pocnet/emergency-disclosure/v1',
  'technical-advice': 'pocnet/technical-advice/v1',
  'evidence-collection': 'pocnet/evidence-collection/v1',
  'legal-information': 'pocnet/legal-information/v1',
  'locate-suspect': 'pocnet/locate-suspect/v1',
  'emergency-assistance': 'pocnet/emergency-assistance/v1',
  'spontaneous-information': 'pocnet/spontaneous-information/v1',
} as const satisfies Record<RequestType, string>
export type SchemaId = (typeof SCHEMAS)[RequestType]

export const URGENCIES = ['routine', 'urgent', 'emergency'] as const
export type Urgency = (typeof URGENCIES)[number]

export const RESPONSE_CHANNELS = ['pocnet', 'email', 'phone'] as const
export type ResponseChannel = (typeof RESPONSE_CHANNELS)[number]

export const CONFIDENTIALITY_LEVELS = ['standard', 'confidential', 'strictly-confidential'] as const
export type Confidentiality = (typeof CONFIDENTIALITY_LEVELS)[number]

/** How one case points at an earlier one (T-CY(2018)11's "extension of", Art. 30 follow-ups). */
export const LINK_RELATIONS = ['extension-of', 'follow-up-of', 'related-to'] as const
export type LinkRelation = (typeof LINK_RELATIONS)[number]

export const IDENTIFIER_TYPES = ['ip', 'email', 'account', 'url', 'domain', 'phone', 'other'] as const
export type IdentifierType = (typeof IDENTIFIER_TYPES)[number]

/**
 * Grounds on which a requested Party may refuse: Art. 29(5) (political offence; sovereignty, security,
 * ordre public or other essential interests), Art. 29(4) (dual criminality under a reservation, never
 * for Arts 2-11 offences), and anything else, which must be explained.
 */
export const REFUSAL_GROUNDS = [
  'political-offence',
  'essential-interests',
  'dual-criminality-reservation',
  'other',
] as const
export type RefusalGround = (typeof REFUSAL_GROUNDS)[number]

/** The offences Arts 2-11 establish; Art. 29(4) forbids a dual-criminality refusal for them. */
export const DUAL_CRIMINALITY_EXEMPT_ARTICLES = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11] as const

/** Art. 29(6): why preservation may not serve its purpose; the requester then decides whether to go on. */
export const PRESERVATION_LIMITS = ['availability-not-ensured', 'confidentiality-threatened'] as const
export type PreservationLimit = (typeof PRESERVATION_LIMITS)[number]

/** Longest preservation period a side may record; national periods run 60-180 days, extensions add more. */
export const MAX_GRANTED_DAYS = 730

export const HOUR_MS = 3_600_000

/** Named starting points for {@link ClockConfig}; each says what it is modelled on. */
export const CLOCK_PRESETS = {
  'pocnet-default': {
    basis: 'pocnet default settings (configuration chosen by the network, not a legal deadline)',
    acknowledgementDeadlineMinutes: { emergency: 60, urgent: 4 * 60, routine: 24 * 60 },
    // A preservation (Art. 29(3) "expeditiously") is the data held, so it falls due before data do.
    answerDeadlineMinutes: {
      default: { emergency: 24 * 60, urgent: 3 * 24 * 60, routine: 30 * 24 * 60 },
      preservation: { emergency: 4 * 60, urgent: 24 * 60, routine: 3 * 24 * 60 },
    },
    expiryReminderLeadHours: [14 * 24, 7 * 24, 2 * 24],
    mlaWarningLeadHours: 21 * 24,
    extensionAnswerDeadlineHours: 48,
  },
  // Art. 10(2) and 10(4) of the Regulation bind a service provider answering a European Production
  // Order: deadlines to transmit the data, counted from receipt. Nothing in it times an acknowledgement.
  'eu-e-evidence-style': {
    basis:
      'modelled on Regulation (EU) 2023/1543 (e-Evidence) Art. 10: the data transmitted within 8 hours ' +
      'in an emergency (10(4)) and 10 days otherwise (10(2)), from receipt; 24 hours for urgent and the ' +
      'acknowledgement deadlines are pocnet choices. Configuration, not a Budapest Convention deadline',
    acknowledgementDeadlineMinutes: { emergency: 60, urgent: 4 * 60, routine: 24 * 60 },
    answerDeadlineMinutes: {
      default: { emergency: 8 * 60, urgent: 24 * 60, routine: 10 * 24 * 60 },
    },
    expiryReminderLeadHours: [14 * 24, 7 * 24, 2 * 24],
    mlaWarningLeadHours: 21 * 24,
    extensionAnswerDeadlineHours: 48,
  },
} as const satisfies Record<string, ClockConfig>
export type ClockPresetName = keyof typeof CLOCK_PRESETS
