//! What every hostile-world test shares: a fake registry that wants the canary
//! credentials, a store that already holds a good image under the tag being attacked, the
//! real `hoist` binary run with a time limit, and the checks every case makes — the error
//! code, the store byte-identical, the tag unmoved, the canary nowhere in the output or
//! the store.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use hoist_testkit::digest_of;
use hoist_testkit::fake::{Auth, FakeRegistry, ImageParts};

/// The secret every case uses: as the registry password, in the auth file, as the token.
pub const CANARY: &str = "canary-5ecret-Zq9xK2";
/// The user name paired with it.
pub const USER: &str = "hoist-user";
/// The repository the fake serves.
pub const REPO: &str = "hostile/app";
/// The tag that is attacked.
pub const TAG: &str = "v1";
/// Longest a single `hoist` run may take before the test kills it and fails.
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

/// The canary and the forms it may leak in (base64 of `user:password`).
pub fn canary_forms() -> Vec<String> {
    vec![
        CANARY.to_owned(),
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{CANARY}")),
    ]
}

/// One hostile case: a fake registry, a store holding the good image, an auth file.
pub struct Case {
    /// The fake registry.
    pub fake: FakeRegistry,
    /// Temp dir: store, home, auth file.
    pub tmp: tempfile::TempDir,
    /// The good image already in the store as `HOST/REPO:TAG`.
    pub good: ImageParts,
    /// Extra environment for every run.
    pub env: Vec<(String, String)>,
    /// Extra arguments for every pull.
    pub pull_args: Vec<String>,
}

impl Case {
    /// A plain-http fake with Basic auth (user + canary), the good image pulled.
    pub fn new() -> Case {
        Self::with_fake(FakeRegistry::start(REPO).unwrap(), true)
    }

    /// Like [`Case::new`] over an existing fake; `basic` sets Basic auth with the canary.
    pub fn with_fake(fake: FakeRegistry, basic: bool) -> Case {
        if basic {
            fake.set_auth(Auth::Basic {
                user: USER.into(),
                password: CANARY.into(),
            });
        }
        let tmp = tempfile::tempdir().unwrap();
        let tls = fake.url().starts_with("https");
        let mut case = Case {
            fake,
            tmp,
            good: ImageParts::new(1, &[3000, 5000]),
            env: Vec::new(),
            pull_args: if tls {
                Vec::new()
            } else {
                vec!["--plain-http".into()]
            },
        };
        if tls {
            let ca = case.fake.ca_pem_path();
            case.pull_args.push("--ca-file".into());
            case.pull_args.push(ca.display().to_string());
        }
        case.pull_args.push("--idle-timeout".into());
        case.pull_args.push("2s".into());
        case.write_auth_file(&[case.fake.host()]);
        case.fake.content(|c| c.add_parts(&case.good, TAG));
        let out = case.pull(&case.reference());
        assert!(out.ok(), "the good pull failed: {}", out.all());
        out.assert_no_canary();
        if basic {
            assert!(
                case.fake.log().iter().any(|s| s.authorization),
                "the canary credentials were never sent"
            );
        }
        case.fake.clear_log();
        case
    }

    /// Serves `parts` at the attacked tag (the next pull's target).
    pub fn serve(&self, parts: &ImageParts) {
        self.fake.content(|c| c.add_parts(parts, TAG));
    }

    /// `HOST/REPO:TAG`.
    pub fn reference(&self) -> String {
        format!("{}/{REPO}:{TAG}", self.fake.host())
    }

    /// The store directory.
    pub fn store(&self) -> PathBuf {
        self.tmp.path().join("store")
    }

    /// Writes an auth.json with the canary credentials for `hosts`.
    pub fn write_auth_file(&self, hosts: &[String]) {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{CANARY}"));
        let auths: serde_json::Map<String, serde_json::Value> = hosts
            .iter()
            .map(|h| (h.clone(), serde_json::json!({ "auth": auth })))
            .collect();
        std::fs::write(
            self.auth_file(),
            serde_json::json!({ "auths": auths }).to_string(),
        )
        .unwrap();
    }

    /// The auth file path (`REGISTRY_AUTH_FILE`).
    pub fn auth_file(&self) -> PathBuf {
        self.tmp.path().join("auth.json")
    }

    /// Runs `hoist ARGS` against the case's store and auth file, killed after
    /// [`RUN_LIMIT`].
    pub fn hoist(&self, args: &[&str]) -> Run {
        let mut cmd = hoist_cmd(&self.store(), &self.tmp.path().join("home"));
        cmd.args(args).env("REGISTRY_AUTH_FILE", self.auth_file());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        run(cmd)
    }

    /// `hoist pull` with the case's pull arguments and `extra`.
    pub fn pull_with(&self, reference: &str, extra: &[&str]) -> Run {
        let mut args: Vec<&str> = vec!["pull", "-q"];
        args.extend(self.pull_args.iter().map(String::as_str));
        args.extend_from_slice(extra);
        args.push(reference);
        self.hoist(&args)
    }

    /// `hoist pull` of `reference`.
    pub fn pull(&self, reference: &str) -> Run {
        self.pull_with(reference, &[])
    }

    /// The image ID `HOST/REPO:TAG` names in the store (via `hoist inspect`).
    pub fn tagged_id(&self) -> Option<String> {
        let out = self.hoist(&["inspect", "--format", "json", &self.reference()]);
        if !out.ok() {
            return None;
        }
        let v: serde_json::Value = serde_json::from_str(out.stdout().trim())
            .or_else(|_| {
                serde_json::from_str::<serde_json::Value>(
                    out.stdout().lines().next().unwrap_or_default(),
                )
            })
            .ok()?;
        let v = if v.is_array() { v[0].clone() } else { v };
        v["record"]["id"]
            .as_str()
            .or_else(|| v["id"].as_str())
            .map(str::to_owned)
    }

    /// Every file and directory of the store with the hash of its bytes, except
    /// resumable partial downloads (`ingest/*.partial`): the store keeps those on purpose
    /// after a transfer breaks, so a later pull can continue with `Range` (as containerd
    /// keeps its ingests). They are invisible: nothing outside `ingest/` names them, and
    /// `gc` removes them.
    pub fn snapshot(&self) -> BTreeMap<String, String> {
        let mut t = tree_hash(&self.store());
        t.retain(|k, _| !(k.starts_with("ingest/") && k.ends_with(".partial")));
        t
    }

    /// Pulls the attacked tag expecting failure with `code`, and checks the invariants:
    /// the store byte-identical, the tag still on the good image, no canary anywhere.
    /// Returns the run (its output already checked) for further assertions.
    pub fn expect_failure(&self, code: &str) -> Run {
        self.expect_failure_of(&self.reference(), code, &[])
    }

    /// [`Case::expect_failure`] for another reference and extra pull arguments.
    pub fn expect_failure_of(&self, reference: &str, code: &str, extra: &[&str]) -> Run {
        let before = self.snapshot();
        let out = self.pull_with(reference, extra);
        assert!(!out.ok(), "the pull should fail with {code}: {}", out.all());
        assert_eq!(out.code().as_deref(), Some(code), "{}", out.all());
        let stderr = out.stderr();
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 1, "one clear line: {}", out.all());
        out.assert_no_canary();
        self.assert_unchanged(&before);
        self.assert_log_sane();
        out
    }

    /// What every failed case's request log shows: credentials (an `Authorization`
    /// header) went only to the registry's own origin — or, for `/token`, to the realm —
    /// and the number of requests is bounded.
    pub fn assert_log_sane(&self) {
        let log = self.fake.log();
        assert!(
            log.len() <= 100,
            "{} requests: unbounded retries?",
            log.len()
        );
        for s in &log {
            if s.authorization && s.path() != "/token" {
                assert_eq!(
                    s.origin,
                    self.fake.host(),
                    "Authorization sent to another origin: {s:?}"
                );
            }
        }
    }

    /// How many requests asked for one of `parts`' layers.
    pub fn layer_requests(&self, parts: &ImageParts) -> usize {
        let digests: Vec<String> = (0..parts.layers.len())
            .map(|i| parts.layer_digest(i))
            .collect();
        self.fake
            .log()
            .iter()
            .filter(|s| digests.iter().any(|d| s.path().ends_with(d.as_str())))
            .count()
    }

    /// The store is exactly `before`, the tag still names the good image, and no file of
    /// the store contains the canary.
    pub fn assert_unchanged(&self, before: &BTreeMap<String, String>) {
        let after = self.snapshot();
        if &after != before {
            let changed: Vec<_> = before
                .iter()
                .filter(|(k, v)| after.get(*k) != Some(v))
                .map(|(k, _)| k.clone())
                .chain(after.keys().filter(|k| !before.contains_key(*k)).cloned())
                .collect();
            panic!("the store changed: {changed:?}");
        }
        assert_eq!(
            self.tagged_id().as_deref(),
            Some(self.good.id().as_str()),
            "the tag moved"
        );
        assert_store_has_no_canary(&self.store());
    }

    /// Requests the fake saw on the origin `ip:port`.
    pub fn requests_on(&self, origin: &str) -> Vec<hoist_testkit::fake::Seen> {
        self.fake
            .log()
            .into_iter()
            .filter(|s| s.origin == origin)
            .collect()
    }
}

/// One finished `hoist` run.
pub struct Run {
    /// Exit status and output.
    pub output: Output,
    /// Wall time.
    pub took: Duration,
}

impl Run {
    /// Exited 0.
    pub fn ok(&self) -> bool {
        self.output.status.success()
    }

    /// Standard output.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// Standard error.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Both, for assertion messages.
    pub fn all(&self) -> String {
        format!(
            "status {:?} after {:?}\nstdout: {}\nstderr: {}",
            self.output.status.code(),
            self.took,
            self.stdout(),
            self.stderr()
        )
    }

    /// The code in `hoist: error[CODE]: …`.
    pub fn code(&self) -> Option<String> {
        let err = self.stderr();
        let start = err.find("error[")? + "error[".len();
        let end = err[start..].find(']')? + start;
        Some(err[start..end].to_owned())
    }

    /// Neither stream contains the canary (plain or base64).
    pub fn assert_no_canary(&self) {
        for form in canary_forms() {
            assert!(
                !self.stdout().contains(&form) && !self.stderr().contains(&form),
                "the canary leaked: {}",
                self.all()
            );
        }
    }
}

/// Waits for `child`, killing it after `limit` (then fails the test).
pub fn wait_limited(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stdout.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stderr.read_to_end(&mut b);
        b
    });
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hoist ran longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
    }
}

/// Relative path → sha256 of the bytes (files) or `dir` (directories), for the whole tree.
pub fn tree_hash(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                out.insert(rel, "dir".to_owned());
                stack.push(p);
            } else if ft.is_file() {
                out.insert(rel, digest_of(&std::fs::read(&p).unwrap()));
            } else {
                out.insert(rel, "other".to_owned());
            }
        }
    }
    out
}

/// No file under `root` contains the canary in any form.
pub fn assert_store_has_no_canary(root: &Path) {
    let forms = canary_forms();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                let text = String::from_utf8_lossy(&bytes);
                for f in &forms {
                    assert!(
                        !text.contains(f.as_str()),
                        "the canary is in {}",
                        p.display()
                    );
                }
            }
        }
    }
}

/// `ip:port` of a base URL (`http://127.0.0.2:4000` → `127.0.0.2:4000`), as the fake logs
/// origins.
pub fn origin_of(url: &str) -> String {
    url.split("://").nth(1).unwrap_or(url).to_owned()
}

/// `hoist --store STORE` with piped output and an environment of its own: `HOME` set to
/// `home`, no proxies, no registries.conf, no auth files from the developer's machine.
pub fn hoist_cmd(store: &Path, home: &Path) -> Command {
    std::fs::create_dir_all(home).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoist"));
    cmd.arg("--store").arg(store);
    hoist_testkit::isolate(&mut cmd, home)
        .env_remove("HTTPS_PROXY")
        .env_remove("HTTP_PROXY")
        .env_remove("https_proxy")
        .env_remove("http_proxy")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `cmd` to the end (killed after [`RUN_LIMIT`]).
pub fn run(mut cmd: Command) -> Run {
    let started = Instant::now();
    let output = wait_limited(cmd.spawn().unwrap(), RUN_LIMIT);
    Run {
        output,
        took: started.elapsed(),
    }
}
