'use strict';
// Runs one conformance vector case through the Node binding and builds the same output
// shape as the native runner (tests/conformance/src/families/*.rs, whose module docs
// define each shape). Only the mapping from the vector format to binding calls lives
// here; every answer comes from the binding.
const enc = new TextEncoder();
const bytes = (s) => enc.encode(s);
const nul = (v) => (v === undefined ? null : v);

/** `{ok: f()}`, or `{error: code}` when the binding throws a coded error. */
function out(f) {
  let v;
  try {
    v = f();
  } catch (e) {
    if (typeof e?.code === 'string') return { error: e.code };
    throw e;
  }
  return { ok: nul(v) };
}

/** Like `out`, but `f` returns a whole output (for early error returns). */
function whole(f) {
  try {
    return f();
  } catch (e) {
    if (typeof e?.code === 'string') return { error: e.code };
    throw e;
  }
}

function makeFamilies(h) {
  const describe = (r) => ({
    domain: nul(r.domain), path: r.path, name: r.name, tag: nul(r.tag), digest: nul(r.digest),
    string: r.string, familiar: r.familiar, canonical: r.canonical,
  });

  // ---- auth ----
  const shownFor = (input) => (s) => (input.expose ? s : '<redacted>');
  const credentialsJson = (c, shown) => {
    switch (c.kind) {
      case 'basic': return { kind: 'basic', username: c.username, password: shown(c.password) };
      case 'identity-token': return { kind: 'identity-token', username: c.username, token: shown(c.token) };
      case 'registry-token': return { kind: 'registry-token', token: shown(c.token) };
      default: return { kind: 'anonymous' };
    }
  };
  const configBytes = (v) => {
    if (v.config_text !== undefined) return bytes(v.config_text);
    if (v.config !== undefined) return bytes(JSON.stringify(v.config));
    return bytes('{}');
  };
  const textInput = (v) => (typeof v === 'string' ? v : v.prefix + v.repeat.repeat(v.times) + v.suffix);
  const credsIn = (v) => v ?? { kind: 'anonymous' };

  const auth = {
    auth_file_paths: (i) => {
      const e = i.env;
      const env = {
        registryAuthFile: e.registry_auth_file, xdgRuntimeDir: e.xdg_runtime_dir,
        xdgRuntimeDirMissing: e.xdg_runtime_dir_missing, xdgConfigHome: e.xdg_config_home,
        home: e.home, dockerConfig: e.docker_config, uid: e.uid,
      };
      switch (i.op) {
        case 'read': return out(() => h.authFilePaths(env).map((f) => ({ path: f.path, legacy: f.legacy })));
        case 'write': return out(() => h.authFileForWrite(env));
        default: return null;
      }
    },
    decode_auth_config: (i, shown) => out(() => credentialsJson(h.decodeAuthConfig(i.config, i.registry_host), shown)),
    docker_config: (i, shown) => {
      if (i.op === 'helper_output') return out(() => credentialsJson(h.parseHelperOutput(bytes(i.output)), shown));
      return whole(() => {
        const c = h.parseDockerConfig(configBytes(i), i.legacy ?? false);
        switch (i.op) {
          case 'parse': return out(() => ({ auths: c.authKeys(), cred_helpers: c.credHelpers(), creds_store: nul(c.credsStore()) }));
          case 'lookup': return out(() => {
            const l = c.lookupCredentials(i.key);
            if (l.kind === 'credentials') return { kind: 'credentials', credentials: credentialsJson(l.credentials, shown) };
            return l;
          });
          case 'login': return out(() => JSON.parse(c.withLogin(i.key, i.username, i.password)));
          case 'logout': return out(() => JSON.parse(c.without(i.key)));
          default: return null;
        }
      });
    },
    keyring: (i, shown) => {
      switch (i.op) {
        case 'lookup': return whole(() => {
          const ring = new h.Keyring();
          for (const config of i.configs) {
            ring.add(h.parseDockerConfig(configBytes({ config }), i.legacy ?? false));
          }
          return { ok: ring.lookup(i.image).map((c) => credentialsJson(c, shown)) };
        });
        case 'urls_match': return out(() => h.urlsMatch(i.glob, i.target));
        case 'is_default_registry_match': return out(() => h.isDefaultRegistryMatch(i.image));
        default: return null;
      }
    },
    parse_challenges: (i) => out(() => h.parseChallenges(i.headers)),
    token: (i, shown) => {
      switch (i.op) {
        case 'request': return out(() => {
          const r = h.tokenRequest({
            challenge: i.challenge,
            credentials: credsIn(i.credentials),
            flow: i.flow === 'oauth_post' ? 'oauth-post' : i.flow,
            extraScopes: i.extra_scopes ?? [],
            offline: i.offline ?? false,
            registryIsHttp: i.registry_is_http ?? false,
          });
          return {
            method: r.method,
            url: r.url,
            headers: r.headers.map((x) => [x.name, x.secret ? shown(x.value) : x.value]),
            body: r.body === null || r.body === undefined ? null : shown(r.body),
          };
        });
        case 'response': return out(() => {
          const t = h.parseTokenResponse(bytes(textInput(i.body)));
          return {
            token: shown(t.token), expires_in: t.expiresIn, issued_at: nul(t.issuedAt),
            refresh_token: t.refreshToken === null || t.refreshToken === undefined ? null : shown(t.refreshToken),
          };
        });
        case 'basic_authorization': return out(() => h.basicAuthorization(i.username, i.password));
        case 'preferred_flow': return out(() => {
          const f = h.preferredFlow(credsIn(i.credentials));
          return f === 'oauth-post' ? 'oauth_post' : nul(f);
        });
        case 'fallback_to_get': return out(() => h.fallbackToGet(i.status, credsIn(i.credentials)));
        default: return null;
      }
    },
    validate_realm: (i) => out(() => h.validateRealm(i.realm, i.registry_is_http)),
  };

  // ---- config ----
  const config = {
    parse: (i) => out(() => {
      const c = h.parseConfig(bytes(i));
      return {
        image_id: c.id, architecture: c.architecture, os: c.os, variant: nul(c.variant),
        os_version: nul(c.osVersion), os_features: c.osFeatures, author: nul(c.author),
        created: nul(c.created), created_unix: nul(c.createdUnix), user: nul(c.user),
        labels: c.labels, env: nul(c.env), entrypoint: nul(c.entrypoint), cmd: nul(c.cmd),
        working_dir: nul(c.workingDir), exposed_ports: nul(c.exposedPorts), volumes: nul(c.volumes),
        stop_signal: nul(c.stopSignal), diff_ids: c.diffIds, history_len: c.history.length,
        history_non_empty: c.history.filter((x) => !x.emptyLayer).length,
        extra_keys: c.extraKeys, config_extra_keys: c.configExtraKeys,
      };
    }),
    check_layers: (i) => out(() => h.checkLayers(bytes(i.config), i.layers)),
    timestamp: (i) => out(() => {
      const t = h.parseTimestamp(i);
      return { unix_seconds: t.unixSeconds, nanos: t.nanos, offset_seconds: t.offsetSeconds };
    }),
    user: (i) => out(() => h.parseUser(i)),
    schema1: (i) => out(() => {
      const s = h.schema1ToConfig(
        i.history.map((e) => ({ v1Compatibility: e.v1Compatibility, blobSum: e.blobSum })),
        i.diff_ids,
      );
      return { config: new TextDecoder().decode(s.config), image_id: s.imageId, layers: s.layers };
    }),
  };

  // ---- digest ----
  const digest = {
    parse: (i) => out(() => h.parseDigest(i)),
    of: (i) => out(() => h.digestOf(i.algorithm, bytes(i.data))),
    verify: (i) => out(() => {
      const v = new h.Verifier(i.expected, i.size ?? undefined);
      for (const c of i.chunks) v.update(bytes(c));
      return v.finish();
    }),
  };

  // ---- filter and store ----
  const indexFrom = (i) => {
    const index = new h.ImageIndex();
    for (const r of i.images ?? []) index.add(r);
    if (i.search_registries) index.setSearchRegistries(i.search_registries);
    return index;
  };
  const summary = (index) => index.records().map((r) => ({ id: r.id, names: r.names, digests: r.digests }));
  const filter = {
    glob: (i) => out(() => h.globMatch(i.pattern, i.name)),
    until: (i) => out(() => h.parseUntil(i.value, i.now ?? 0)),
    parse: (i) => {
      const index = indexFrom(i);
      return out(() => h.Filter.parse(i.filters, index, i.now ?? 0).clauses());
    },
    match: (i) => {
      const index = indexFrom(i);
      return out(() => index.list(h.Filter.parse(i.filters, index, i.now ?? 0)).map((r) => r.id));
    },
  };
  const store = {
    resolve: (i) => {
      const index = indexFrom(i);
      return out(() => index.resolve(i.input).id);
    },
    apply: (i) => {
      const index = indexFrom(i);
      const results = i.ops.map((op) => out(() => {
        switch (op.op) {
          case 'add': return index.add(op.record);
          case 'pull': return index.recordPull(op.pull, op.now ?? 0);
          case 'tag': return index.tag(op.image, op.name);
          case 'untag': return index.untag(op.image, op.name ?? undefined);
          case 'remove': return index.remove(op.image, op.force ?? false);
          case 'remove_all': return index.removeAll(op.image);
          default: throw new Error(`unknown op ${op.op}`);
        }
      }));
      return { ok: { results, images: summary(index) } };
    },
    load: (i) => out(() => summary(h.ImageIndex.fromJson(bytes(i)))),
  };

  // ---- id ----
  const id = {
    image_id: (i) => out(() => h.imageId(bytes(i))),
    chain_ids: (i) => out(() => h.chainIds(i)),
    chain_id: (i) => out(() => h.chainId(i)),
    prefix: (i) => out(() => {
      h.parseDigest(i.id);
      const p = h.parseIdPrefix(i.prefix);
      return { hex: p.hex, full: p.full, matches: h.idPrefixMatches(i.prefix, i.id) };
    }),
    short_id: (i) => out(() => h.shortId(i)),
    looks_like_id: (i) => out(() => h.looksLikeId(i)),
    repo_digest: (i) => out(() => h.repoDigest(i.name, i.digest)),
  };

  // ---- manifest ----
  const manifestOptions = (i) => ({
    contentType: nul(i.contentType) ?? undefined,
    parentMediaType: nul(i.parentMediaType) ?? undefined,
    limits: i.limits,
  });
  const manifest = {
    parse: (i) => out(() => {
      const m = h.parseManifest(bytes(i.body), manifestOptions(i));
      return {
        kind: m.kind, mediaType: m.mediaType, digest: m.digest,
        config: m.config ? m.config.digest : null,
        layers: m.layers.map((l) => l.digest),
        children: m.children.map((c) => ({
          mediaType: c.mediaType, digest: c.digest,
          platform: c.platform ? h.formatPlatform(c.platform) : null,
        })),
      };
    }),
    verify: (i) => out(() => {
      h.parseDigest(i.expected);
      h.verifyManifest(bytes(i.body), i.expected, manifestOptions(i));
      return true;
    }),
    descriptor: (i) => out(() => h.parseDescriptor(i)),
  };

  // ---- platform ----
  const platformObj = (p) => (typeof p === 'string' ? h.parsePlatform(p) : p);
  const platform = {
    parse: (i) => out(() => h.parsePlatform(i.specifier, i.host)),
    normalize: (i) => out(() => h.normalizePlatform(i)),
    matches: (i) => out(() => h.platformMatches(i.want, i.candidate, i.strict ?? false)),
    select: (i) => out(() => {
      const want = platformObj(i.want);
      const manifests = i.available.map((p, n) => {
        const d = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: h.digestOf('sha256', bytes(String(n))), size: 1 };
        if (p !== null) d.platform = platformObj(p);
        return d;
      });
      return h.selectPlatform(manifests, want);
    }),
  };

  // ---- reference ----
  const conf = (i) => h.RegistriesConf.parse(i.conf);
  const snakeConf = (c) => ({
    registries: c.registries.map((r) => ({
      prefix: r.prefix, location: r.location, insecure: r.insecure, blocked: r.blocked,
      mirror_by_digest_only: r.mirrorByDigestOnly,
      mirrors: r.mirrors.map((m) => ({ location: m.location, insecure: m.insecure, pull_from_mirror: m.pullFromMirror })),
    })),
    unqualified_search_registries: c.unqualifiedSearchRegistries,
    short_name_mode: nul(c.shortNameMode),
    aliases: c.aliases,
  });
  const reference = {
    parse: (i) => out(() => describe(h.parseReference(i))),
    parse_normalized: (i) => out(() => describe(h.parseNormalized(i))),
    parse_named: (i) => out(() => describe(h.parseNamed(i))),
    parse_name: (i) => out(() => describe(h.parseName(i))),
    parse_docker_ref: (i) => out(() => describe(h.parseDockerRef(i))),
    with: (i) => out(() => {
      let r = h.parseName(i.name).string;
      for (const op of i.ops) r = (op.tag !== undefined ? h.withTag(r, op.tag) : h.withDigest(r, op.digest)).string;
      return r;
    }),
    registries_conf: (i) => out(() => snakeConf(conf(i).describe())),
    find_registry: (i) => out(() => conf(i).findRegistry(i.reference)),
    pull_sources: (i) => out(() => conf(i).pullSources(i.reference)),
    short_names: (i) => out(() => conf(i).shortNameCandidates(i.name, i.mode)),
    candidates_to_try: (i) => out(() => conf(i).candidatesToTry(i.name)),
    is_short_name: (i) => out(() => h.isShortName(i)),
    image_location: (i) => out(() => h.parseImageLocation(i)),
  };

  return { auth, config, digest, filter, id, manifest, platform, reference, store };
}

/** Runs `function` (`family.name`) on `input`; null when no family knows it. */
function runner(h) {
  const families = makeFamilies(h);
  return (fn, input) => {
    const [family, name] = fn.split('.');
    const f = families[family]?.[name];
    if (!f) return null;
    const shown = (s) => (input?.expose ? s : '<redacted>');
    return f(input, shown);
  };
}

module.exports = { runner };
