// Types of the hoist-node native binding (bindings/node/src), as the npm package `hoist`
// exports it. Every function is synchronous and throws an `Error` whose `code` is
// hoist-core's stable kebab-case code. An argument of the wrong type or shape (a number
// where a string is expected, a missing field, a class called without `new`) throws a
// `TypeError` with code `invalid-argument` whose message names the parameter (or field)
// and the expected type, never the value: `invalid argument: parseReference(s): expected
// a string, got a number`. Bytes are `Uint8Array` (a `Buffer` works too); times of the
// pull machine are host-monotonic milliseconds; the image records' times are unix seconds.

/**
 * An error thrown by the binding: `code` is the core's stable code, or
 * `invalid-argument` (then the error is a `TypeError`) for an argument of the wrong type.
 */
export interface CodedError extends Error {
  code: string
}

// ---- reference ----

/** A parsed reference. Absent parts are left out. */
export interface ReferenceInfo {
  /** The registry host (`docker.io`). */
  domain?: string
  /** The repository path without the domain (`library/redis`). */
  path: string
  /** The full name (`docker.io/library/redis`). */
  name: string
  tag?: string
  digest?: string
  /** The reference exactly as parsed. */
  string: string
  /** The familiar form (`redis:7`). */
  familiar: string
  /** The canonical form with `latest` filled in. */
  canonical: string
}

/** Parses with the exact distribution/reference grammar (Go `reference.Parse`). */
export function parseReference(s: string): ReferenceInfo
/** Parses and normalizes (`redis` → `docker.io/library/redis`), like `ParseNormalizedNamed`. */
export function parseNormalized(s: string): ReferenceInfo
/** Parses an already canonical name (`ParseNamed`). */
export function parseNamed(s: string): ReferenceInfo
/** Parses a repository name without tag or digest (`WithName`). */
export function parseName(s: string): ReferenceInfo
/** Parses like docker's `ParseDockerRef`. */
export function parseDockerRef(s: string): ReferenceInfo
/** The familiar form of a reference (`docker.io/library/redis:7` → `redis:7`). */
export function familiar(s: string): string
/** The canonical form with `latest` filled in. */
export function canonical(s: string): string
/** `reference` with its tag set (`WithTag`). */
export function withTag(reference: string, tag: string): ReferenceInfo
/** `reference` with `digest` added (`WithDigest`). */
export function withDigest(reference: string, digest: string): ReferenceInfo
/** Whether `s` is a short name (no registry) that registries.conf resolves. */
export function isShortName(s: string): boolean

/** A transport-qualified location (`docker://…`, `oci:PATH:NAME`, `dir:PATH`…). */
export interface ImageLocation {
  transport: string
  string: string
  reference?: string | null
  explicit?: boolean
  path?: string
  name?: string | null
  index?: number | null
}
export function parseImageLocation(s: string): ImageLocation

export interface MirrorInfo { location: string; insecure: boolean; pullFromMirror: string }
export interface RegistryInfo {
  prefix: string
  location: string
  insecure: boolean
  blocked: boolean
  mirrorByDigestOnly: boolean
  mirrors: MirrorInfo[]
}
export interface RegistriesConfInfo {
  registries: RegistryInfo[]
  unqualifiedSearchRegistries: string[]
  shortNameMode: string | null
  aliases: Record<string, string | null>
}
export interface ShortNameResolution {
  /** Where the candidates came from (`alias`, `search-registries`…). */
  origin: string
  mode: string
  candidates: string[]
}

/** A parsed registries.conf (containers-registries.conf(5), v2). */
export class RegistriesConf {
  /** Parses the TOML text. */
  static parse(text: string): RegistriesConf
  describe(): RegistriesConfInfo
  /** The `[[registry]]` whose prefix matches best, or null. */
  findRegistry(reference: string): { prefix: string; location: string } | null
  /** Where to pull a reference from, mirrors first. */
  pullSources(reference: string): Array<{ location: string; insecure: boolean; reference: string }>
  /** Short-name candidates with the mode given (`enforcing`, `permissive`, `disabled`) or configured. */
  shortNameCandidates(name: string, mode?: string | null): ShortNameResolution
  /** The references a pull of `name` tries, in order. */
  candidatesToTry(name: string): string[]
}
/** Short-name resolution against registries.conf text. */
export function shortNameCandidates(conf: string, name: string, mode?: string | null): ShortNameResolution

// ---- auth ----

/** Credentials, as the core knows them. */
export type Credentials =
  | { kind: 'anonymous' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'identity-token'; username: string; token: string }
  | { kind: 'registry-token'; token: string }

/** A CRI `AuthConfig` (snake_case, as in the CRI API). */
export interface AuthConfig {
  username?: string
  password?: string
  auth?: string
  server_address?: string
  identity_token?: string
  registry_token?: string
}
/** Decodes a CRI AuthConfig for `registryHost`. */
export function decodeAuthConfig(config: AuthConfig, registryHost: string): Credentials

export type Lookup =
  | { kind: 'helper'; helper: string }
  | { kind: 'credentials'; credentials: Credentials }
  | { kind: 'none' }

/** A docker config.json / containers auth.json (or legacy .dockercfg). */
export class DockerConfig {
  static parse(bytes: Uint8Array, legacy?: boolean | null): DockerConfig
  /** The `auths` keys in file order. */
  authKeys(): string[]
  credHelpers(): Record<string, string>
  credsStore(): string | null
  /** What the file says about a registry key (`host`, `host/namespace`). */
  lookupCredentials(key: string): Lookup
  /** The file's new text after a login. */
  withLogin(key: string, username: string, password: string): string
  /** The file's new text after a logout. */
  without(key: string): string
}
export function parseDockerConfig(bytes: Uint8Array, legacy?: boolean | null): DockerConfig

/**
 * The environment that decides where auth files are (containers/image
 * `pkg/docker/config`, `containers-auth.json(5)`). Absent, `null` and empty strings
 * count as unset. Extra properties are ignored.
 */
export interface AuthFileEnv {
  /** `REGISTRY_AUTH_FILE` (podman `--authfile`): then the only file read and written. */
  registryAuthFile?: string | null
  /** `XDG_RUNTIME_DIR`: `$XDG_RUNTIME_DIR/containers/auth.json` is read first. */
  xdgRuntimeDir?: string | null
  /**
   * The host's `stat` of `xdgRuntimeDir` failed with `ENOENT` (the core cannot look):
   * that file is then skipped for reading, and writing fails with
   * `xdg-runtime-dir-missing`. Default false.
   */
  xdgRuntimeDirMissing?: boolean | null
  /** `XDG_CONFIG_HOME` (default `$HOME/.config`). */
  xdgConfigHome?: string | null
  /** `HOME`. */
  home?: string | null
  /** `DOCKER_CONFIG`: its `config.json` replaces `~/.docker/config.json`. */
  dockerConfig?: string | null
  /** The user id, for `/run/containers/<uid>/auth.json` when `XDG_RUNTIME_DIR` is unset. */
  uid?: number | null
}
/** One auth file to read; `legacy` is the old `.dockercfg` form (`parseDockerConfig(bytes, true)`). */
export interface AuthFile {
  path: string
  legacy: boolean
}
/**
 * The auth files to read, in containers/image's order (`getAuthFilePaths`):
 * `registryAuthFile` alone when set; else `$XDG_RUNTIME_DIR/containers/auth.json` (left
 * out when missing) or `/run/containers/<uid>/auth.json`;
 * `$XDG_CONFIG_HOME/containers/auth.json` or `~/.config/containers/auth.json`;
 * `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`; `~/.dockercfg` (legacy).
 * The files may not exist; skip missing ones.
 */
export function authFilePaths(env: AuthFileEnv): AuthFile[]
/**
 * The auth file `login` / `logout` edit (containers/image `getPathToAuth`):
 * `registryAuthFile`, else `$XDG_RUNTIME_DIR/containers/auth.json`, else
 * `/run/containers/<uid>/auth.json`, else `$XDG_CONFIG_HOME` / `~/.config`'s
 * `containers/auth.json`. Throws `xdg-runtime-dir-missing` or `auth-file-location-unknown`.
 */
export function authFileForWrite(env: AuthFileEnv): string

/** The kubelet's credential keyring (wildcard hosts, best match first). */
export class Keyring {
  constructor()
  add(config: DockerConfig): void
  lookup(image: string): Credentials[]
}
/** Credentials from a `docker-credential-* get` output. */
export function parseHelperOutput(bytes: Uint8Array): Credentials
/** True when `a` and `b` name one registry (equal, or both Docker Hub). */
export function sameRegistry(a: string, b: string): boolean
/** The server URL a credential helper is asked about (`https://index.docker.io/v1/` for Docker Hub). */
export function helperServerUrl(host: string): string
/** True when a helper's output is docker-credential-helpers' "credentials not found". */
export function isHelperNotFound(output: Uint8Array): boolean
/** The largest credential helper output accepted, in bytes. */
export function maxHelperOutputSize(): number
/** The largest auth file accepted, in bytes. */
export function maxDockerConfigSize(): number
export function urlsMatch(glob: string, target: string): boolean
export function isDefaultRegistryMatch(image: string): boolean

/** One `WWW-Authenticate` challenge (RFC 7235). */
export interface Challenge { scheme: string; params: Record<string, string>; token68?: string }
export function parseChallenges(headers: string[]): Challenge[]

export interface TokenRequestOptions {
  /** The `WWW-Authenticate` value of the 401 (its first challenge is used). */
  challenge: string
  credentials?: Credentials | null
  flow: 'get' | 'oauth-post'
  extraScopes?: string[] | null
  offline?: boolean | null
  registryIsHttp?: boolean | null
}
/** A token request to send as is; `secret` headers must stay out of logs. */
export interface TokenRequest {
  method: string
  url: string
  headers: Array<{ name: string; value: string; secret: boolean }>
  body: string | null
}
export function tokenRequest(options: TokenRequestOptions): TokenRequest
export interface Token { token: string; expiresIn: number; issuedAt: string | null; refreshToken: string | null }
export function parseTokenResponse(body: Uint8Array): Token
/** The `Basic …` Authorization value (RFC 7617). */
export function basicAuthorization(username: string, password: string): string
export function preferredFlow(credentials: Credentials): 'get' | 'oauth-post' | null
export function fallbackToGet(status: number, credentials: Credentials): boolean
export function validateRealm(realm: string, registryIsHttp: boolean): { host: string; port: number; https: boolean }

// ---- digests, configs, ids ----

export function parseDigest(s: string): { algorithm: string; encoded: string }
export function digestOf(algorithm: 'sha256' | 'sha512', bytes: Uint8Array): string

/** Streams content through the core's digest (and size) check. */
export class Verifier {
  constructor(expected: string, size?: number | null)
  /** Throws `size-mismatch` as soon as the stream outgrows the declared size. */
  update(chunk: Uint8Array): void
  /**
   * Feeds `chunks` in order on a libuv worker thread (hashing leaves the event loop free).
   * Resolves `null`, or the failure once the stream outgrew its declared size. The chunks
   * must not change until it settles; await it before feeding more. `chunks` that is not
   * an array of `Uint8Array` throws (synchronously) `invalid-argument`.
   */
  updateAsync(chunks: Uint8Array[]): Promise<{ kind: 'size-mismatch'; actual: number } | null>
  readonly bytesVerified: number
  /** The digest, or throws `digest-mismatch` / `size-mismatch`. Once. */
  finish(): string
  /** Like finish, but answers in the pull machine's failure shape instead of throwing. */
  check(): { digest: string } | { failure: TransportFailure }
}

export type ImageUser = { uid: number | bigint } | { name: string }
export interface ImageConfigInfo {
  id: string
  architecture: string
  os: string
  variant: string | null
  osVersion: string | null
  osFeatures: string[]
  author: string | null
  created: string | null
  createdUnix: number | null
  user: ImageUser | null
  labels: Record<string, string>
  env: string[] | null
  entrypoint: string[] | null
  cmd: string[] | null
  workingDir: string | null
  exposedPorts: unknown
  volumes: unknown
  stopSignal: string | null
  diffIds: string[]
  history: Array<{ emptyLayer: boolean }>
  extraKeys: string[]
  configExtraKeys: string[]
}
/** Parses an image config (image-spec config.md), unknown fields kept. */
export function parseConfig(bytes: Uint8Array): ImageConfigInfo
export function checkLayers(bytes: Uint8Array, layers: number): void
export function parseTimestamp(s: string): { unixSeconds: number; nanos: number; offsetSeconds: number }
/** Splits an image `User` as cri-containerd does; null when none. */
export function parseUser(user: string): ImageUser | null
export interface Schema1Entry { v1Compatibility: string; blobSum: string }
/** Schema 1 history (newest first) + diff IDs (oldest first) → config, as containers/image. */
export function schema1ToConfig(history: Schema1Entry[], diffIds: string[]): { config: Uint8Array; imageId: string; layers: string[] }
/** The image ID: digest of the config's exact bytes. */
export function imageId(config: Uint8Array): string
export function chainIds(diffIds: string[]): string[]
export function chainId(diffIds: string[]): string | null
export function parseIdPrefix(prefix: string): { hex: string; full: boolean }
export function idPrefixMatches(prefix: string, id: string): boolean
export function shortId(id: string): string
export function looksLikeId(s: string): boolean
export function repoDigest(name: string, digest: string): string

// ---- manifests, descriptors, platforms ----

/** An image-spec platform object. */
export interface Platform {
  architecture: string
  os: string
  'os.version'?: string
  'os.features'?: string[]
  variant?: string
}
/** An image-spec descriptor object. */
export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  urls?: string[]
  annotations?: Record<string, string>
  platform?: Platform
  data?: string
  artifactType?: string
}
export interface ParseManifestOptions {
  contentType?: string | null
  parentMediaType?: string | null
  limits?: { maxBytes?: number; maxLayers?: number; maxIndexEntries?: number } | null
}
export interface Layer { digest: string; mediaType: string; size: number | null; urls: string[]; empty: boolean }
export interface ManifestInfo {
  /** `oci-image`, `oci-index`, `docker-v2`, `docker-list`, `schema1`… */
  kind: string
  mediaType: string
  digest: string
  config: Descriptor | null
  /** Base layer first. */
  layers: Layer[]
  /** Index entries. */
  children: Descriptor[]
}
export function parseManifest(bytes: Uint8Array, options?: ParseManifestOptions | null): ManifestInfo
export function verifyManifest(bytes: Uint8Array, expected: string, options?: ParseManifestOptions | null): void
/** Validates a descriptor and returns it as hoist re-serialises it. */
export function parseDescriptor(descriptor: Descriptor): Descriptor
export function parsePlatform(specifier: string, host?: Platform | string | null): Platform
export function normalizePlatform(platform: Platform): Platform
export function formatPlatform(platform: Platform): string
export function platformMatches(want: Platform | string, candidate: Platform | string, strict?: boolean | null): boolean
/** The position in `manifests` of the entry the core picks for `want`. */
export function selectPlatform(manifests: Descriptor[], want: Platform | string): number

// ---- store and filters ----

/** An image record in its persisted JSON form (as `hoist images --format json`). */
export interface ImageRecord {
  id: string
  names: string[]
  digests: string[]
  created: number | null
  pulled_at: number | null
  labels: Record<string, string>
  size: number
  manifest_digest: string
  config_digest: string | null
  os: string | null
  architecture: string | null
  pinned: boolean
}
/** What a finished pull tells the store. */
export interface PullRecord {
  reference: string
  id: string
  manifest_digest: string
  resolved_digest?: string | null
  config_digest?: string | null
  created?: number | null
  labels?: Record<string, string>
  size?: number
  os?: string | null
  architecture?: string | null
}
export type Change =
  | { kind: 'image-added' | 'image-updated' | 'image-removed'; id: string }
  | { kind: 'name-added' | 'name-removed'; id: string; name: string }
  | { kind: 'digest-added' | 'digest-removed'; id: string; digest: string }

/** The image index model: records, names, repo digests and the rules between them. */
export class ImageIndex {
  constructor()
  static fromJson(bytes: Uint8Array): ImageIndex
  toJson(): Uint8Array
  setSearchRegistries(registries: string[]): void
  readonly size: number
  /** The record with exactly this ID, or null. */
  get(id: string): ImageRecord | null
  records(): ImageRecord[]
  /** Newest first, then by ID. */
  list(filter?: Filter | null): ImageRecord[]
  /** By ID, ID prefix, name or name@digest. */
  resolve(input: string): ImageRecord
  add(record: Partial<ImageRecord> & { id: string; manifest_digest: string }): Change[]
  recordPull(pull: PullRecord, nowUnix: number): Change[]
  tag(image: string, name: string): Change[]
  untag(image: string, name?: string | null): Change[]
  remove(image: string, force?: boolean | null): Change[]
  removeAll(image: string): Change[]
}

/** A parsed podman image filter (`Filter.parse`; `new Filter()` throws `invalid-argument`). */
export class Filter {
  static parse(filters: string[], index?: ImageIndex | null, nowUnix?: number | null): Filter
  clauses(): Array<{ key: string; negate: boolean; value: string }>
  matches(record: ImageRecord): boolean
}
/** Go `path.Match`, as `reference=` uses it. */
export function globMatch(pattern: string, name: string): boolean
/** An `until=` value as `"<seconds>.<9-digit nanos>"`. */
export function parseUntil(value: string, nowUnix: number): string

/** hoist.json in memory: the store format shared by every host. Updates are all-or-nothing. */
export class StoreMeta {
  constructor()
  static fromJson(bytes: Uint8Array): StoreMeta
  toJson(): Uint8Array
  /** index.json derived from it. */
  indexJson(): Uint8Array
  index(): ImageIndex
  manifestDescriptor(id: string): Descriptor | null
  recordPull(pull: PullRecord, manifest: Descriptor, nowUnix: number): ImageRecord
  tag(image: string, name: string): Change[]
  untag(image: string, name?: string | null): Change[]
  remove(image: string, force?: boolean | null): Change[]
  removeAll(image: string): Change[]
}
export function ociLayoutBytes(): Uint8Array
export function checkOciLayout(bytes: Uint8Array): void
/** `blobs/<alg>/<hex>`. */
export function blobPath(digest: string): string
export function countIndexEntries(bytes: Uint8Array): number

/** A flock-style lock file (host support: Node has no flock). */
export class FileLock {
  release(): void
}
/** Takes the lock without waiting, or null while another holds it. */
export function tryLock(path: string, removable: boolean): FileLock | null

// ---- the pull machine ----

export type TransportFailure =
  | { kind: 'connect' | 'tls' | 'reset' | 'timeout' | 'cancelled' }
  | { kind: 'digest-mismatch'; actual: string }
  | { kind: 'size-mismatch'; actual: number }
  | { kind: 'store'; message: string }

/** Pull events (`onProgress`). */
export type PullEvent =
  | { kind: 'resolved'; digest: string; media_type: string; endpoint: string }
  | { kind: 'platform-selected'; platform: Platform; digest: string }
  | { kind: 'blob-started' | 'blob-skipped' | 'blob-done'; digest: string; size: number }
  | { kind: 'blob-progress'; digest: string; bytes: number; size: number }
  | { kind: 'retrying'; what: string; attempt: number; at: number }
  | { kind: 'rate-limit'; host: string; limit: unknown }
  | { kind: 'image-recorded'; id: string }

/** What a finished pull produced. */
export interface PullOutcome {
  record: ImageRecord
  resolved_digest: string
  manifest_digest: string
  config_digest: string
  chain_id: string | null
  bytes_downloaded: number
}

export type BodyAction =
  | { kind: 'buffer'; limit: number }
  | { kind: 'stream-to-store'; digest: string; size: number; offset: number }
  | { kind: 'discard' }
export type StoreOp =
  | { kind: 'stat'; digest: string }
  | { kind: 'put-blob'; digest: string }
  | { kind: 'commit'; blobs: string[]; manifest: Descriptor; record: PullRecord }

/** One thing the machine asks for (see hoist_core::pull::io for the contract). */
export interface PullOutput {
  kind: 'http' | 'body' | 'store' | 'need-credentials' | 'event' | 'wait' | 'done'
  id?: number
  method?: string
  url?: string
  headers?: string[][]
  body?: string
  isBlob?: boolean
  /** `body`: a BodyAction; `store`: a StoreOp. */
  action?: BodyAction | StoreOp
  /** `store` `put-blob`: the bytes. */
  bytes?: Uint8Array
  host?: string
  event?: PullEvent
  until?: number
  outcome?: PullOutcome
}

export type StoreResult =
  | { kind: 'stat'; size: number | null }
  | { kind: 'done' }
  | { kind: 'committed'; record: ImageRecord }
  | { kind: 'failed'; message: string }

/** One answer of the host. */
export interface PullInput {
  kind: 'http-response' | 'http-body' | 'blob-staged' | 'progress' | 'http-failed' | 'store' | 'credentials' | 'timeout'
  id?: number
  now?: number
  status?: number
  headers?: string[][]
  bytes?: Uint8Array
  /** `progress`: bytes so far; `http-failed`: bytes safely staged. */
  staged?: number
  failure?: TransportFailure
  result?: StoreResult
  credentials?: Credentials
}

export interface PullerOptions {
  /** Specifier or object; default this machine's platform. */
  platform?: Platform | string | null
  plainHttp?: boolean | null
  maxConcurrentBlobs?: number | null
  allowForeignLayers?: boolean | null
  userAgent?: string | null
}

/** The sans-IO pull state machine. */
export class Puller {
  constructor(reference: string, options: PullerOptions | null | undefined, now: number, registriesConf?: RegistriesConf | null)
  pollOutput(): PullOutput
  handleInput(input: PullInput): void
}
