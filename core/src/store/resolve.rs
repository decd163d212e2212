//! Turning a user's string into an image, in libimage `Runtime.LookupImage` order.
//!
//! 1. `sha256:<hex>`: an ID (64 hex digits) or ID prefix (fewer; [`crate::id::IdPrefix`]).
//!    podman refuses a shortened `sha256:` prefix; hoist accepts it as docker does.
//!    Nothing else is tried.
//! 2. 64 lowercase hex digits: a full ID (such a string is never a name: distribution
//!    rejects 64-hex repository names). Nothing else is tried.
//! 3. A name (docker normalization; a tag next to a digest is ignored). Candidates, in
//!    order: for a name with a domain, only itself; for a short name (no domain),
//!    `localhost/<name>`, then `<registry>/<name>` for each unqualified-search registry in
//!    order, then the docker.io form (`docker.io/library/redis`). The first candidate the
//!    index holds wins: `repo:tag` (default `latest`) among the names, or for
//!    `repo@digest`, a repo digest `repo@digest` or an image named in `repo` whose
//!    manifest digest is `digest` — a digest only counts within its repository.
//! 4. 1 to 63 lowercase hex digits ([`crate::id::IdPrefix`]): an ID prefix. One match
//!    wins; several are
//!    `ambiguous-id-prefix` (podman treats that as not found and goes on; hoist says so).
//! 5. A short name once more, matched on whole path components from the right against
//!    every name (libimage `referenceFuzzilyMatchingRepoAndTag`): `redis`,
//!    `library/redis` and `redis:latest` find `docker.io/library/redis:latest`;
//!    `ry/redis` and `redis:alpine` do not. Names of one image win; names of several
//!    images are `ambiguous-short-name` (libimage takes the first image it happens to list;
//!    hoist refuses to guess).
//! 6. Otherwise `image-not-known`, naming the input.
//!
//! Steps 1–4 are logarithmic in the size of the index; step 5 scans every name once. An
//! input more than 512 bytes longer than every name the index has held cannot match and
//! is `image-not-known` before any parsing, so a megabyte of input costs nothing.

use super::names::{self, Name};
use super::{ImageIndex, ImageRecord, StoreError};
use crate::digest::excerpt;
use crate::id::{looks_like_id, repo_digest, IdPrefix};

/// How the input found the image; removal rules depend on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Via {
    /// By ID or ID prefix.
    Id,
    /// By this canonical tag name.
    Name(String),
    /// By this canonical repo digest (`repo@digest`).
    Digest(String),
}

/// Whether `repo` ends with `path` on a path-component boundary.
fn component_suffix(repo: &str, path: &str) -> bool {
    match repo.strip_suffix(path) {
        Some("") => true,
        Some(head) => head.ends_with('/'),
        None => false,
    }
}

const MAX_CANDIDATES_SHOWN: usize = 8;

/// `sha256:` and 64 hex digits.
const ID_LEN: usize = 71;

/// More than `index.` (6) + `:` and a 128-character tag + `@sha512:` and 128 hex digits.
const SLACK: usize = 512;

impl ImageIndex {
    /// Resolves `input` (ID, ID prefix, name, short name or `name@digest`) with the
    /// index's search registries. See the module docs of `resolve.rs` for the order.
    pub fn resolve(&self, input: &str) -> Result<&ImageRecord, StoreError> {
        let key = self.lookup(input)?.0;
        self.records.get(&key).ok_or_else(|| not_known(input))
    }

    /// [`ImageIndex::resolve`] with an explicit, ordered list of unqualified-search
    /// registries instead of the index's own.
    pub fn resolve_with<S: AsRef<str>>(
        &self,
        input: &str,
        search_registries: &[S],
    ) -> Result<&ImageRecord, StoreError> {
        let key = self.lookup_with(input, search_registries)?.0;
        self.records.get(&key).ok_or_else(|| not_known(input))
    }

    pub(super) fn lookup(&self, input: &str) -> Result<(String, Via), StoreError> {
        self.lookup_with(input, &self.search_registries)
    }

    fn lookup_with<S: AsRef<str>>(
        &self,
        input: &str,
        search: &[S],
    ) -> Result<(String, Via), StoreError> {
        // An input that finds a name is at most that name plus what normalization removes
        // (`index.docker.io` → `docker.io`) plus an ignored tag and a digest; anything much
        // longer than every name held (or an ID) finds nothing, and is not parsed.
        if input.len() > self.longest.max(ID_LEN) + SLACK {
            return Err(not_known(input));
        }
        if input.starts_with("sha256:") || looks_like_id(input) {
            if let Ok(prefix) = IdPrefix::parse(input) {
                if let Some(key) = self.by_id_prefix(&prefix)? {
                    return Ok((key, Via::Id));
                }
            }
            return Err(not_known(input));
        }
        let parsed = names::parse(input).ok();
        if let Some(n) = &parsed {
            for repo in candidates(n, search) {
                if let Some(hit) = self.in_repo(&repo, n) {
                    return Ok(hit);
                }
            }
        }
        if let Ok(prefix) = IdPrefix::parse(input) {
            if let Some(key) = self.by_id_prefix(&prefix)? {
                return Ok((key, Via::Id));
            }
        }
        if let Some(n) = parsed.filter(|n| !n.explicit_domain) {
            if let Some(hit) = self.fuzzy(input, &n)? {
                return Ok(hit);
            }
        }
        Err(not_known(input))
    }

    /// The one record whose ID starts with `prefix`; `None` if none. Logarithmic: IDs are
    /// the keys of an ordered map, so the matches are one contiguous range.
    fn by_id_prefix(&self, prefix: &IdPrefix) -> Result<Option<String>, StoreError> {
        let start = format!("sha256:{prefix}");
        let mut hits = self
            .records
            .range(start.clone()..)
            .take_while(|(k, _)| k.starts_with(&start))
            .filter(|(_, r)| prefix.matches(&r.id));
        let Some((first, _)) = hits.next() else {
            return Ok(None);
        };
        let rest = hits.count();
        if rest > 0 {
            return Err(StoreError::AmbiguousIdPrefix {
                prefix: excerpt(prefix.as_str()),
                count: rest + 1,
            });
        }
        Ok(Some(first.clone()))
    }

    /// Step 3 for one candidate repository.
    fn in_repo(&self, repo: &str, n: &Name) -> Option<(String, Via)> {
        match &n.digest {
            Some(d) => {
                let full = repo_digest(repo, d);
                if let Some(key) = self.digests.get(&full) {
                    return Some((key.clone(), Via::Digest(full)));
                }
                let prefix = format!("{repo}:");
                self.names
                    .range(prefix.clone()..)
                    .take_while(|(name, _)| name.starts_with(&prefix))
                    .find(|(_, key)| {
                        self.records
                            .get(*key)
                            .is_some_and(|r| r.manifest_digest == *d)
                    })
                    .map(|(_, key)| (key.clone(), Via::Digest(full)))
            }
            None => {
                let full = format!("{repo}:{}", n.tag.as_deref().unwrap_or("latest"));
                self.names
                    .get(&full)
                    .map(|key| (key.clone(), Via::Name(full)))
            }
        }
    }

    /// Step 5: whole-component suffix match over every name (and repo digest).
    fn fuzzy(&self, input: &str, n: &Name) -> Result<Option<(String, Via)>, StoreError> {
        let mut hits: Vec<(&String, Via, &String)> = Vec::new();
        match &n.digest {
            Some(d) => {
                let want = d.as_str();
                for (full, key) in &self.digests {
                    if let Some((repo, dig)) = full.split_once('@') {
                        if dig == want && component_suffix(repo, &n.path) {
                            hits.push((key, Via::Digest(full.clone()), full));
                        }
                    }
                }
                for (name, key) in &self.names {
                    let Some((repo, _)) = name.rsplit_once(':') else {
                        continue;
                    };
                    if component_suffix(repo, &n.path)
                        && self
                            .records
                            .get(key)
                            .is_some_and(|r| r.manifest_digest == *d)
                    {
                        hits.push((key, Via::Digest(repo_digest(repo, d)), name));
                    }
                }
            }
            None => {
                let tag = n.tag.as_deref().unwrap_or("latest");
                for (name, key) in &self.names {
                    let Some((repo, t)) = name.rsplit_once(':') else {
                        continue;
                    };
                    if t == tag && component_suffix(repo, &n.path) {
                        hits.push((key, Via::Name(name.clone()), name));
                    }
                }
            }
        }
        let Some((first_key, _, _)) = hits.first() else {
            return Ok(None);
        };
        if hits.iter().any(|(k, _, _)| k != first_key) {
            let mut candidates: Vec<String> = hits.iter().map(|(_, _, s)| (*s).clone()).collect();
            candidates.dedup();
            candidates.truncate(MAX_CANDIDATES_SHOWN);
            return Err(StoreError::AmbiguousShortName {
                name: excerpt(input),
                candidates,
            });
        }
        let (key, via, _) = hits.swap_remove(0);
        Ok(Some((key.clone(), via)))
    }
}

fn not_known(input: &str) -> StoreError {
    StoreError::ImageNotKnown {
        input: excerpt(input),
    }
}

/// Candidate repositories for step 3, in order, without duplicates.
pub(super) fn candidates<S: AsRef<str>>(n: &Name, search: &[S]) -> Vec<String> {
    if n.explicit_domain {
        return vec![n.repo.clone()];
    }
    let mut out: Vec<String> = Vec::with_capacity(search.len() + 2);
    let mut push = |repo: String| {
        if !out.contains(&repo) {
            out.push(repo);
        }
    };
    push(format!("localhost/{}", n.path));
    for registry in search {
        if let Ok(c) = names::parse(&format!("{}/{}", registry.as_ref(), n.path)) {
            if c.explicit_domain {
                push(c.repo);
            }
        }
    }
    push(n.repo.clone());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;
    use crate::ErrorCode;

    fn d(hex: &str) -> Digest {
        Digest::parse(&format!("sha256:{hex:0<64}")).expect("digest")
    }

    fn index() -> ImageIndex {
        let mut index = ImageIndex::new();
        let specs: &[(&str, &[&str], &str)] = &[
            ("aa1", &["docker.io/library/redis:latest"], "e1"),
            (
                "aa2",
                &["quay.io/x/redis:latest", "quay.io/x/redis:7"],
                "e2",
            ),
            ("bb1", &["ghcr.io/a/tool:1", "localhost/mine:latest"], "e3"),
            ("bb2", &["ghcr.io/b/tool:1"], "e4"),
            ("cc1", &[], "e5"),
        ];
        for (id, names, manifest) in specs {
            let mut r = ImageRecord::new(d(id), d(manifest));
            r.names = names.iter().map(|s| (*s).to_owned()).collect();
            index.add(r).expect("add");
        }
        let mut r = ImageRecord::new(d("cc1"), d("e5"));
        r.digests = vec![format!("docker.io/library/busybox@{}", d("e9"))];
        index.add(r).expect("digest");
        index
    }

    #[test]
    fn table() {
        let index = index();
        let e1 = d("e1");
        let e9 = d("e9");
        let cases: Vec<(String, Result<&str, &str>)> = vec![
            ("redis".into(), Ok("aa1")),
            ("library/redis".into(), Ok("aa1")),
            ("redis:latest".into(), Ok("aa1")),
            ("docker.io/library/redis".into(), Ok("aa1")),
            ("docker.io/library/redis:latest".into(), Ok("aa1")),
            ("ry/redis".into(), Err("image-not-known")),
            ("io/library/redis".into(), Err("image-not-known")),
            ("redis:alpine".into(), Err("image-not-known")),
            ("redis:7".into(), Ok("aa2")),
            ("x/redis".into(), Ok("aa2")),
            ("quay.io/x/redis".into(), Ok("aa2")),
            ("tool:1".into(), Err("ambiguous-short-name")),
            ("a/tool:1".into(), Ok("bb1")),
            ("mine".into(), Ok("bb1")),
            ("aa".into(), Err("ambiguous-id-prefix")),
            ("aa1".into(), Ok("aa1")),
            ("sha256:aa2".into(), Ok("aa2")),
            (format!("{:0<64}", "cc1"), Ok("cc1")),
            (format!("sha256:{:0<64}", "cc1"), Ok("cc1")),
            (format!("{:0<64}", "dd"), Err("image-not-known")),
            ("sha256:".into(), Err("image-not-known")),
            ("sha256:xyz".into(), Err("image-not-known")),
            ("".into(), Err("image-not-known")),
            ("Redis".into(), Err("image-not-known")),
            (format!("redis@{e1}"), Ok("aa1")),
            (format!("redis:7@{e1}"), Ok("aa1")),
            (format!("docker.io/library/redis@{e1}"), Ok("aa1")),
            (format!("quay.io/x/redis@{e1}"), Err("image-not-known")),
            (format!("busybox@{e9}"), Ok("cc1")),
            (format!("library/busybox@{e9}"), Ok("cc1")),
            (format!("redis@{e9}"), Err("image-not-known")),
        ];
        for (input, want) in cases {
            let got = index
                .resolve(&input)
                .map(|r| r.id.clone())
                .map_err(|e| e.code());
            let want = want.map(d);
            assert_eq!(got, want, "{input}");
        }
    }

    #[test]
    fn long_inputs() {
        let mut index = index();
        let long_domain = format!("{}.example.com", "a".repeat(2000));
        index
            .tag("redis", &format!("{long_domain}/r:1"))
            .expect("tag");
        assert_eq!(
            index
                .resolve(&format!("{long_domain}/r:1"))
                .map(|r| r.id.clone()),
            Ok(d("aa1"))
        );
        let huge = "a".repeat(1 << 20);
        assert_eq!(
            index.resolve(&huge).map_err(|e| e.code()).err(),
            Some("image-not-known")
        );
    }

    #[test]
    fn search_registries_order() {
        let index = index();
        let got = index
            .resolve_with("tool:1", &["ghcr.io/b"])
            .map(|r| r.id.clone());
        assert_eq!(got, Ok(d("bb2")));
        let got = index
            .resolve_with("redis", &["quay.io/x", "docker.io"])
            .map(|r| r.id.clone());
        assert_eq!(got, Ok(d("aa2")));
        let got = index
            .resolve_with("redis", &["docker.io", "quay.io/x"])
            .map(|r| r.id.clone());
        assert_eq!(got, Ok(d("aa1")));
    }
}
