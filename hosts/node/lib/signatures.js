'use strict';
// The parameters of every function, constructor and method the native binding exports
// (bindings/node/src, typed in bindings/node/index.d.ts), as ./arguments.js reads them to
// name the parameter and the expected type when Node-API rejects an argument. They are
// read only after a native call failed, never on a successful call. A test
// (tests/node/arguments.test.js) checks that this table lists exactly what the binding
// exports.
//
// A type is `string`, `number`, `boolean`, `bytes` (a Uint8Array; a Buffer is one),
// `json` (any value Node-API can turn into JSON: not undefined, a function or a symbol),
// a class the binding exports (`ImageIndex`), `T[]` or `A|B`, where a trailing `?` also
// allows null and undefined; or `struct({field: type})` for the binding's
// `#[napi(object)]` structs, `optional(t)` and `arrayOf(t)` around them. Each parameter
// is `[name, type]`.

/** An object with these fields (a `#[napi(object)]` struct). */
const struct = (fields) => ({ struct: fields });
/** `t`, null or undefined. */
const optional = (t) => ({ optional: t });
/** An array of `t`. */
const arrayOf = (t) => ({ arrayOf: t });
/** Any of `types`. */
const oneOf = (...types) => ({ oneOf: types });

const tokenRequestOptions = struct({
  challenge: 'string',
  credentials: 'json?',
  flow: 'string',
  extraScopes: 'string[]?',
  offline: 'boolean?',
  registryIsHttp: 'boolean?',
});
const parseManifestOptions = struct({
  contentType: 'string?',
  parentMediaType: 'string?',
  limits: optional(struct({ maxBytes: 'number?', maxLayers: 'number?', maxIndexEntries: 'number?' })),
});
const pullerOptions = struct({
  platform: 'json?',
  plainHttp: 'boolean?',
  maxConcurrentBlobs: 'number?',
  allowForeignLayers: 'boolean?',
  userAgent: 'string?',
});
const pullInput = struct({
  kind: 'string',
  id: 'number?',
  now: 'number?',
  status: 'number?',
  headers: 'string[][]?',
  bytes: 'bytes?',
  staged: 'number?',
  failure: 'json?',
  result: 'json?',
  credentials: 'json?',
});
const schema1Entry = struct({ v1Compatibility: 'string', blobSum: 'string' });

const s = (name) => [[name, 'string']];

/** Free functions: name → parameters. */
const functions = {
  // reference
  parseReference: s('s'),
  parseNormalized: s('s'),
  parseNamed: s('s'),
  parseName: s('s'),
  parseDockerRef: s('s'),
  familiar: s('s'),
  canonical: s('s'),
  withTag: [['reference', 'string'], ['tag', 'string']],
  withDigest: [['reference', 'string'], ['digest', 'string']],
  isShortName: s('s'),
  parseImageLocation: s('s'),
  shortNameCandidates: [['conf', 'string'], ['name', 'string'], ['mode', 'string?']],
  // auth
  authFilePaths: [['env', 'json']],
  authFileForWrite: [['env', 'json']],
  decodeAuthConfig: [['config', 'json'], ['registryHost', 'string']],
  parseDockerConfig: [['bytes', 'bytes'], ['legacy', 'boolean?']],
  parseHelperOutput: [['bytes', 'bytes']],
  sameRegistry: [['a', 'string'], ['b', 'string']],
  helperServerUrl: s('host'),
  isHelperNotFound: [['output', 'bytes']],
  maxHelperOutputSize: [],
  maxDockerConfigSize: [],
  urlsMatch: [['glob', 'string'], ['target', 'string']],
  isDefaultRegistryMatch: s('image'),
  parseChallenges: [['headers', 'string[]']],
  tokenRequest: [['options', tokenRequestOptions]],
  parseTokenResponse: [['body', 'bytes']],
  basicAuthorization: [['username', 'string'], ['password', 'string']],
  preferredFlow: [['credentials', 'json']],
  fallbackToGet: [['status', 'number'], ['credentials', 'json']],
  validateRealm: [['realm', 'string'], ['registryIsHttp', 'boolean']],
  // digests, configs, ids
  parseDigest: s('s'),
  digestOf: [['algorithm', 'string'], ['bytes', 'bytes']],
  parseConfig: [['bytes', 'bytes']],
  checkLayers: [['bytes', 'bytes'], ['layers', 'number']],
  parseTimestamp: s('s'),
  parseUser: s('user'),
  schema1ToConfig: [['history', arrayOf(schema1Entry)], ['diffIds', 'string[]']],
  imageId: [['config', 'bytes']],
  chainIds: [['diffIds', 'string[]']],
  chainId: [['diffIds', 'string[]']],
  parseIdPrefix: s('prefix'),
  idPrefixMatches: [['prefix', 'string'], ['id', 'string']],
  shortId: s('id'),
  looksLikeId: s('s'),
  repoDigest: [['name', 'string'], ['digest', 'string']],
  // manifests, descriptors, platforms
  parseManifest: [['bytes', 'bytes'], ['options', optional(parseManifestOptions)]],
  verifyManifest: [['bytes', 'bytes'], ['expected', 'string'], ['options', optional(parseManifestOptions)]],
  parseDescriptor: [['descriptor', 'json']],
  parsePlatform: [['specifier', 'string'], ['host', 'json?']],
  normalizePlatform: [['platform', 'json']],
  formatPlatform: [['platform', 'json']],
  platformMatches: [['want', 'json'], ['candidate', 'json'], ['strict', 'boolean?']],
  selectPlatform: [['manifests', 'json[]'], ['want', 'json']],
  // store and filters
  globMatch: [['pattern', 'string'], ['name', 'string']],
  parseUntil: [['value', 'string'], ['nowUnix', 'number']],
  ociLayoutBytes: [],
  checkOciLayout: [['bytes', 'bytes']],
  blobPath: s('digest'),
  countIndexEntries: [['bytes', 'bytes']],
  tryLock: [['path', 'string'], ['removable', 'boolean']],
};

const namesMethods = {
  tag: [['image', 'string'], ['name', 'string']],
  untag: [['image', 'string'], ['name', 'string?']],
  remove: [['image', 'string'], ['force', 'boolean?']],
  removeAll: [['image', 'string']],
};

/**
 * Classes: name → `{ construct, statics, methods }`: `construct` is the constructor's
 * parameters, or null when the class cannot be constructed from JavaScript (`madeBy` then
 * names what makes its instances).
 */
const classes = {
  RegistriesConf: {
    construct: null,
    madeBy: 'RegistriesConf.parse',
    statics: { parse: s('text') },
    methods: {
      describe: [],
      findRegistry: s('reference'),
      pullSources: s('reference'),
      shortNameCandidates: [['name', 'string'], ['mode', 'string?']],
      candidatesToTry: s('name'),
    },
  },
  DockerConfig: {
    construct: null,
    madeBy: 'DockerConfig.parse',
    statics: { parse: [['bytes', 'bytes'], ['legacy', 'boolean?']] },
    methods: {
      authKeys: [],
      credHelpers: [],
      credsStore: [],
      lookupCredentials: s('key'),
      withLogin: [['key', 'string'], ['username', 'string'], ['password', 'string']],
      without: s('key'),
    },
  },
  Keyring: {
    construct: [],
    statics: {},
    methods: { add: [['config', 'DockerConfig']], lookup: s('image') },
  },
  Verifier: {
    construct: [['expected', 'string'], ['size', 'number?']],
    statics: {},
    methods: { update: [['chunk', 'bytes']], updateAsync: [['chunks', 'bytes[]']], finish: [], check: [] },
  },
  ImageIndex: {
    construct: [],
    statics: { fromJson: [['bytes', 'bytes']] },
    methods: {
      toJson: [],
      setSearchRegistries: [['registries', 'string[]']],
      get: s('id'),
      records: [],
      list: [['filter', 'Filter?']],
      resolve: s('input'),
      add: [['record', 'json']],
      recordPull: [['pull', 'json'], ['nowUnix', 'number']],
      ...namesMethods,
    },
  },
  Filter: {
    construct: null,
    madeBy: 'Filter.parse',
    statics: { parse: [['filters', 'string[]'], ['index', 'ImageIndex?'], ['nowUnix', 'number?']] },
    methods: { clauses: [], matches: [['record', 'json']] },
  },
  StoreMeta: {
    construct: [],
    statics: { fromJson: [['bytes', 'bytes']] },
    methods: {
      toJson: [],
      indexJson: [],
      index: [],
      manifestDescriptor: s('id'),
      recordPull: [['pull', 'json'], ['manifest', 'json'], ['nowUnix', 'number']],
      ...namesMethods,
    },
  },
  FileLock: { construct: null, madeBy: 'tryLock', statics: {}, methods: { release: [] } },
  Puller: {
    construct: [
      ['reference', 'string'], ['options', optional(pullerOptions)], ['now', 'number'],
      ['registriesConf', 'RegistriesConf?'],
    ],
    statics: {},
    methods: { pollOutput: [], handleInput: [['input', pullInput]] },
  },
};

/**
 * The Node host's own functions (./pull.js, ./images.js), which check their arguments
 * before they touch the store (a pull per call, not a hot path).
 */
const store = (more) => struct({ store: 'string', ...more });
const host = {
  pull: [
    ['reference', 'string'],
    ['options', store({
      auth: optional(oneOf('object', 'function')),
      authFile: 'string?',
      credentialHelperTimeout: 'number?',
      platform: optional(oneOf('string', 'object')),
      onProgress: 'function?',
      signal: 'AbortSignal?',
      plainHttp: 'boolean?',
      registriesConf: 'string?',
      ca: optional(oneOf('string', 'bytes', arrayOf('string|bytes'))),
      maxConcurrentBlobs: 'number?',
    })],
  ],
  listImages: [['options', store({ filters: 'string[]?' })]],
  inspect: [['image', 'string'], ['options', store()]],
  tag: [['image', 'string'], ['name', 'string'], ['options', store()]],
  untag: [['image', 'string'], ['name', 'string?'], ['options', store()]],
  removeImage: [['image', 'string'], ['options', store({ force: 'boolean?' })]],
};

module.exports = { functions, classes, host };
