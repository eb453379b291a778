// the roster: its documents, the state a verified version gives, and chains of versions

export {
  decodeRosterChain,
  encodeRosterChain,
  type VerifiedRosterChain,
  type VerifyChainOptions,
  verifyRosterChain,
} from './chain.ts'
export {
  decodeRosterBody,
  encodeRosterBody,
  encodeRosterDocument,
  parseRosterDocument,
  signRosterBody,
} from './document.ts'
export { RosterState } from './state.ts'
export type {
  AmendmentBody,
  GenesisBody,
  RetiredKey,
  RosterBody,
  RosterChange,
  RosterDocument,
  RosterMember,
  RosterSignature,
} from './types.ts'
