export {
  byteSize,
  FileGrewError,
  type FileLimit,
  FileTooLargeError,
  readFileWithin,
} from './bounded-file.ts'
export {
  BOX_NONCE_LENGTH,
  BOX_OVERHEAD,
  BOX_PUBLIC_KEY_LENGTH,
  BOX_SECRET_KEY_LENGTH,
  type BoxKeyPair,
  BoxKeyring,
  boxKeyPairFromSecret,
  generateBoxKeyPair,
  type Sealed,
} from './box.ts'
export {
  CryptoError,
  InvalidContextError,
  InvalidKeyError,
  InvalidNoteTextError,
  KeyFileError,
  type KeyFileProblem,
} from './errors.ts'
export { bytesEqual, fromHex, sha256, toHex } from './hash.ts'
export {
  type HybridRecipient,
  type HybridSealed,
  hybridContentKey,
  openHybrid,
  sealHybrid,
} from './hybrid-box.ts'
export {
  ed25519PublicKeyOfPeerId,
  type IdentitySecrets,
  NodeIdentity,
  peerIdFromEd25519PublicKey,
} from './identity.ts'
export {
  decodeKeyFile,
  encodeKeyFile,
  KEY_FILE_LENGTH,
  readKeyFile,
  readKeyFileAddingKem,
  readKeyFileBytes,
  writeAtomically,
  writeFileAtomic,
  writeKeyFile,
} from './keyfile.ts'
export {
  ML_DSA_44_PUBLIC_KEY_LENGTH,
  ML_DSA_44_SEED_LENGTH,
  ML_DSA_44_SIGNATURE_LENGTH,
  MlDsa44Signer,
  verifyMlDsa44,
} from './ml-dsa.ts'
export {
  decodeMlDsaKeyFile,
  encodeMlDsaKeyFile,
  ML_DSA_KEY_FILE_LENGTH,
  readMlDsaKeyFile,
  writeMlDsaKeyFile,
} from './ml-dsa-keyfile.ts'
export { type Passphrase, PassphraseKeys, sameScryptParameters } from './passphrase-keys.ts'
export { DEFAULT_SCRYPT, type ScryptParameters, sealedFileKdf } from './sealed-file.ts'
export { openSecretbox, SECRETBOX_KEY_LENGTH, SECRETBOX_OVERHEAD, sealSecretbox } from './secretbox.ts'
export {
  checkNoteText,
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SEED_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  ed25519PublicKey,
  SignatureContext,
  type SignatureContextName,
  Signer,
  signedBytes,
  verify,
  verifyNoteText,
} from './sign.ts'
export {
  XWING_CIPHERTEXT_LENGTH,
  XWING_PUBLIC_KEY_LENGTH,
  XWING_SEED_LENGTH,
  XWING_SHARED_SECRET_LENGTH,
  type XWingEncapsulation,
  XWingKeyPair,
  XWingPublicKey,
} from './xwing.ts'
