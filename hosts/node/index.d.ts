// The npm package `hoist`: every function of the native binding (./binding.d.ts, copied
// from bindings/node/index.d.ts at build time) plus the Node host below. Errors carry a
// stable kebab-case `code` (the core's, or `cancelled`, `store-io`, `store-locked`,
// `store-corrupt`, `blob-missing`, `invalid-argument`). `invalid-argument` errors are
// `TypeError`s naming the parameter and the expected type; the host's functions reject
// with them before touching the store.
import type { Credentials, ImageRecord, PullEvent, PullOutcome, Platform, Change, Descriptor, ManifestInfo, ImageConfigInfo } from './binding'

export * from './binding'

/** An error of the Node host, with a stable `code`. */
export class HoistError extends Error {
  constructor(code: string, message: string)
  code: string
}

/** Credentials for a registry host: a user/password, a credentials object, or a lookup. */
export type Auth =
  | { username: string; password?: string }
  | Credentials
  | ((host: string) => Credentials | { username: string; password?: string } | null | undefined | Promise<Credentials | { username: string; password?: string } | null | undefined>)

export interface PullOptions {
  /** The store directory (an OCI image layout; created if missing). */
  store: string
  /**
   * Credentials; asked for only after a registry answered 401, once per host. When
   * absent, the auth files podman, skopeo and docker write are read in containers/image's
   * order, as `authFilePaths` gives it for this process's environment
   * (`REGISTRY_AUTH_FILE`; `$XDG_RUNTIME_DIR/containers/auth.json`;
   * `~/.config/containers/auth.json`; `~/.docker/config.json`; `~/.dockercfg`) and the
   * `docker-credential-*` helper a file names is run.
   */
  auth?: Auth
  /** Read only this auth file when `auth` is absent (podman's `--authfile`). */
  authFile?: string
  /** How long a credential helper may run before it is killed (ms, default 10000). */
  credentialHelperTimeout?: number
  /** The platform to select from a multi-platform image (default: this machine's). */
  platform?: Platform | string
  /** Every pull event (resolved, blob started/progress/done, image recorded…). */
  onProgress?: (event: PullEvent) => void
  /** Cancels the pull; the store is then exactly as before (`code: "cancelled"`). */
  signal?: AbortSignal
  /** Talk plain HTTP to the registry. */
  plainHttp?: boolean
  /** registries.conf text (mirrors, blocked registries). */
  registriesConf?: string
  /** Extra CA certificates (PEM) to trust. */
  ca?: string | Uint8Array | Array<string | Uint8Array>
  /** Blob downloads in flight at once (default 4). */
  maxConcurrentBlobs?: number
}

/** Pulls an image into a store; the store is unchanged when it fails. */
export function pull(reference: string, options: PullOptions): Promise<PullOutcome>

export interface StoreOptions {
  store: string
}

/** The store's images, newest first, filtered with podman's filters; as `hoist images --format json`. */
export function listImages(options: StoreOptions & { filters?: string[] }): Promise<ImageRecord[]>

/** An image's record, manifest descriptor, parsed manifest and config. */
export function inspect(image: string, options: StoreOptions): Promise<{
  record: ImageRecord
  manifestDescriptor: Descriptor
  manifest: ManifestInfo
  config: ImageConfigInfo
}>

/** Gives `image` (ID, prefix or name) the name `name`. */
export function tag(image: string, name: string, options: StoreOptions): Promise<Change[]>
/** Removes `name`, or every name when it is null, from `image`. */
export function untag(image: string, name: string | null | undefined, options: StoreOptions): Promise<Change[]>
/** Removes a name or an image (podman rmi rules; `force` for an ID with several names). */
export function removeImage(image: string, options: StoreOptions & { force?: boolean }): Promise<Change[]>
