//! End to end: the `hoist` store commands (the real binary) on images pulled from Debian's
//! `docker-registry` on 127.0.0.1: `images` (human, JSON, filters, `--digests`, `-q`),
//! `tag`, `untag`, `rmi`, `inspect` and `history` (against skopeo's view of the same
//! image), `prune`, `gc`, `fsck`, and `login` / `logout` against a basic-auth registry.
//!
//! Every run gets its own HOME, XDG directories and store, and
//! `CONTAINERS_REGISTRIES_CONF=/dev/null`: nothing of the developer's is read or written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use hoist_testkit::{digest_of, push, skopeo_inspect_raw, ImageBuilder, Registry, Setup, Skopeo};
use serde_json::Value;

/// An isolated environment: a store and a home of its own.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().expect("tmp");
        for d in ["home", "run", "config", "data"] {
            std::fs::create_dir_all(dir.path().join(d)).expect("mkdir");
        }
        Env { dir }
    }

    fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    fn auth_json(&self) -> PathBuf {
        self.dir.path().join("run/containers/auth.json")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hoist"));
        c.arg("--store")
            .arg(self.store())
            .args(args)
            .env("HOME", self.dir.path().join("home"))
            .env("XDG_RUNTIME_DIR", self.dir.path().join("run"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env_remove("REGISTRY_AUTH_FILE")
            .env_remove("DOCKER_CONFIG")
            .env_remove("HOIST_STORE")
            .env("CONTAINERS_REGISTRIES_CONF", "/dev/null");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args)
            .stdin(Stdio::null())
            .output()
            .expect("hoist runs")
    }

    fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("hoist starts");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("hoist runs")
    }

    /// Runs and asserts success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "hoist {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs and asserts failure with `code`; returns (stdout, stderr).
    fn fails(&self, args: &[&str], code: &str) -> (String, String) {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "hoist {args:?} succeeded: {stdout}");
        assert!(
            stderr.contains(&format!("error[{code}]")),
            "hoist {args:?}: expected {code}, got: {stderr}"
        );
        (stdout, stderr)
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    }

    /// `images -q` plus extra arguments, as lines.
    fn ids(&self, extra: &[&str]) -> Vec<String> {
        let mut args = vec!["images", "-q"];
        args.extend_from_slice(extra);
        self.ok(&args).lines().map(str::to_owned).collect()
    }

    fn pull(&self, reference: &str) -> String {
        self.ok(&["pull", "-q", "--plain-http", reference])
            .trim()
            .to_owned()
    }

    fn blob(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
        self.store().join("blobs/sha256").join(hex)
    }
}

/// Builds an image and pushes it to `registry` as `reference` (`repo:tag`); returns the
/// pushed manifest digest.
fn push_image(registry: &Registry, builder: ImageBuilder, reference: &str) -> String {
    let layout = tempfile::tempdir().expect("tmp");
    let tag = reference.rsplit_once(':').map_or("latest", |(_, t)| t);
    builder.tag(tag).write(layout.path()).expect("image");
    push(layout.path(), reference, registry).expect("push")
}

fn short(id: &str) -> String {
    id.trim_start_matches("sha256:")[..12].to_owned()
}

/// A podman-style table split into cells by the header's column starts.
struct Table {
    header: Vec<(String, usize)>,
    rows: Vec<String>,
}

impl Table {
    fn parse(text: &str) -> Table {
        let mut lines = text.lines();
        let head = lines.next().expect("header line");
        let mut header = Vec::new();
        let mut start = 0;
        // Column names are separated by at least two spaces; names have at most one.
        let bytes = head.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b' ' && bytes.get(i + 1) == Some(&b' ') {
                header.push((head[start..i].to_owned(), start));
                while i < bytes.len() && bytes[i] == b' ' {
                    i += 1;
                }
                start = i;
            } else {
                i += 1;
            }
        }
        header.push((head[start..].to_owned(), start));
        Table {
            header,
            rows: lines.map(str::to_owned).collect(),
        }
    }

    fn columns(&self) -> Vec<&str> {
        self.header.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn cell(&self, row: usize, column: &str) -> String {
        let i = self
            .header
            .iter()
            .position(|(n, _)| n == column)
            .unwrap_or_else(|| panic!("no column {column}"));
        let line = &self.rows[row];
        let from = self.header[i].1.min(line.len());
        let to = self
            .header
            .get(i + 1)
            .map_or(line.len(), |(_, s)| (*s).min(line.len()));
        line[from..to].trim().to_owned()
    }
}

#[test]
fn images_tag_untag_rmi() {
    let registry = Registry::start(Setup::NoAuth);
    let host = registry.host();
    let app_digest = push_image(
        &registry,
        ImageBuilder::new(1)
            .layer(3000)
            .created("2020-01-01T00:00:00Z")
            .label("tier", "web"),
        "test/app:v1",
    );
    let db_digest = push_image(
        &registry,
        ImageBuilder::new(2)
            .layer(5000)
            .layer(1000)
            .created("2021-06-01T00:00:00Z")
            .label("tier", "db"),
        "test/db:v1",
    );
    let env = Env::new();
    let app_ref = format!("{host}/test/app:v1");
    let db_ref = format!("{host}/test/db:v1");
    let app = env.pull(&app_ref);
    let db = env.pull(&db_ref);
    assert_ne!(app, db);

    // Human: podman's columns, newest first.
    let t = Table::parse(&env.ok(&["images"]));
    assert_eq!(
        t.columns(),
        ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]
    );
    assert_eq!(t.rows.len(), 2);
    assert_eq!(t.cell(0, "REPOSITORY"), format!("{host}/test/db"));
    assert_eq!(t.cell(0, "TAG"), "v1");
    assert_eq!(t.cell(0, "IMAGE ID"), short(&db));
    assert_eq!(t.cell(1, "IMAGE ID"), short(&app));
    assert!(t.cell(1, "CREATED").ends_with("years ago"), "{}", t.rows[1]);
    let size = t.cell(0, "SIZE");
    assert!(size.ends_with(" kB"), "SI units: {size}");
    // `ls` is the same command; -n drops the header.
    assert_eq!(env.ok(&["ls"]), env.ok(&["images"]));
    assert_eq!(env.ok(&["images", "-n"]).lines().count(), 2);

    // JSON: the core's records, newest first.
    let v = env.json(&["images"]);
    let list = v.as_array().expect("array");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], db.as_str());
    assert_eq!(list[0]["names"], serde_json::json!([db_ref]));
    assert_eq!(
        list[0]["digests"],
        serde_json::json!([format!("{host}/test/db@{db_digest}")])
    );
    assert_eq!(list[0]["created"], 1_622_505_600);
    assert_eq!(list[0]["labels"]["tier"], "db");
    assert_eq!(list[1]["id"], app.as_str());
    assert_eq!(list[1]["manifest_digest"], app_digest.as_str());

    // Filters: the core's language.
    let app_only = vec![short(&app)];
    let db_only = vec![short(&db)];
    let reference = format!("reference={host}/test/app");
    assert_eq!(env.ids(&["--filter", &reference]), app_only);
    assert_eq!(env.ids(&["--filter", "reference=app"]), app_only);
    assert_eq!(env.ids(&["--filter", "reference=d*:v1"]), db_only);
    assert_eq!(env.ids(&[&app_ref]), app_only, "positional IMAGE");
    assert_eq!(env.ids(&["--filter", "label=tier=web"]), app_only);
    assert_eq!(env.ids(&["--filter", "label=tier"]).len(), 2);
    assert_eq!(
        env.ids(&["--filter", "label=tier,reference=db"]),
        db_only,
        "comma-separated clauses"
    );
    assert_eq!(
        env.ids(&["--filter", "label=tier=web", "--filter", "label=tier=db"]),
        Vec::<String>::new()
    );
    assert_eq!(
        env.ids(&["--filter", &format!("before={db_ref}")]),
        app_only
    );
    assert_eq!(
        env.ids(&["--filter", &format!("since={}", short(&app))]),
        db_only
    );
    assert!(env.ids(&["--filter", "dangling=true"]).is_empty());
    assert_eq!(env.ids(&["--filter", "dangling=false"]).len(), 2);
    env.fails(&["images", "--filter", "colour=red"], "unknown-filter-key");
    env.fails(
        &["images", "--filter", "before=nope:1"],
        "filter-image-not-found",
    );

    // --digests adds the manifest digest; --no-trunc shows full IDs.
    let t = Table::parse(&env.ok(&["images", "--digests"]));
    assert_eq!(
        t.columns(),
        ["REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"]
    );
    assert_eq!(t.cell(0, "DIGEST"), db_digest);
    assert_eq!(t.cell(1, "DIGEST"), app_digest);
    assert_eq!(env.ids(&["--no-trunc"]), [db.clone(), app.clone()]);
    let t = Table::parse(&env.ok(&["images", "--no-trunc"]));
    assert_eq!(t.cell(1, "IMAGE ID"), app);

    // tag: one image, several rows; -q lists it once.
    let extra = format!("{host}/test/app:extra");
    env.ok(&["tag", &app_ref, &extra, "localhost/mine:1"]);
    let t = Table::parse(&env.ok(&["images"]));
    assert_eq!(t.rows.len(), 4);
    let app_rows: Vec<(String, String)> = (0..4)
        .filter(|&r| t.cell(r, "IMAGE ID") == short(&app))
        .map(|r| (t.cell(r, "REPOSITORY"), t.cell(r, "TAG")))
        .collect();
    assert_eq!(
        app_rows,
        [
            (format!("{host}/test/app"), "v1".to_owned()),
            (format!("{host}/test/app"), "extra".to_owned()),
            ("localhost/mine".to_owned(), "1".to_owned()),
        ]
    );
    assert_eq!(env.ids(&[]), [short(&db), short(&app)]);
    env.fails(&["tag", "nope:1", "x:1"], "image-not-known");
    // JSON: the core's changes; tagging again changes nothing.
    let v = env.json(&["tag", &app_ref, "localhost/mine:2"]);
    assert_eq!(
        v,
        serde_json::json!([{"kind": "name-added", "id": app, "name": "localhost/mine:2"}])
    );
    assert_eq!(
        env.json(&["tag", &app_ref, "localhost/mine:2"]),
        serde_json::json!([])
    );
    env.ok(&["untag", &app_ref, "localhost/mine:2"]);
    env.fails(
        &["tag", &app_ref, &format!("x@{app_digest}")],
        "tag-with-digest",
    );

    // rmi by ID of a multi-name image: refused without -f, nothing changes.
    env.fails(&["rmi", &app], "image-has-multiple-names");
    env.fails(&["rmi", &short(&app)], "image-has-multiple-names");
    assert_eq!(env.ids(&[]).len(), 2);
    // rmi NAME of a multi-name image only untags it.
    let out = env.ok(&["rmi", "localhost/mine:1"]);
    assert_eq!(out, "Untagged: localhost/mine:1\n");
    // untag one name; unknown names are refused.
    env.ok(&["untag", &short(&app), &extra]);
    let v = env.json(&["images", &app_ref]);
    assert_eq!(v[0]["names"], serde_json::json!([app_ref]));
    env.fails(&["untag", &app_ref, &extra], "tag-not-known");

    // -f removes every name and the image.
    env.ok(&["tag", &app_ref, &extra]);
    let out = env.ok(&["rmi", "-f", &app]);
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            format!("Deleted: {}", app.trim_start_matches("sha256:")),
            format!("Untagged: {extra}"),
            format!("Untagged: {app_ref}"),
        ]
    );
    assert_eq!(env.ids(&[]), db_only);
    env.fails(&["inspect", &app], "image-not-known");

    // Several images: a failure does not stop the others, and the exit status says so.
    let (stdout, stderr) = env.fails(&["rmi", "nope:1", &db_ref], "image-not-known");
    assert_eq!(
        stdout,
        format!(
            "Untagged: {db_ref}\nDeleted: {}\n",
            db.trim_start_matches("sha256:")
        )
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(env.ids(&[]).is_empty());
    assert!(env.ok(&["fsck"]).contains("clean"));
}

#[test]
fn dangling_prune_gc_fsck() {
    let registry = Registry::start(Setup::NoAuth);
    let host = registry.host();
    let reference = format!("{host}/test/app:v1");
    push_image(
        &registry,
        ImageBuilder::new(10)
            .layer(4000)
            .created("2020-01-01T00:00:00Z"),
        "test/app:v1",
    );
    let env = Env::new();
    let old = env.pull(&reference);
    let old_doc = env.json(&["inspect", &old]);
    let old_blobs: Vec<String> = old_doc[0]["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["digest"].as_str().expect("digest").to_owned())
        .chain([old.clone()])
        .collect();

    // The same tag now names another image: pulling it moves the tag.
    push_image(
        &registry,
        ImageBuilder::new(11)
            .layer(4000)
            .created("2021-01-01T00:00:00Z"),
        "test/app:v1",
    );
    let new = env.pull(&reference);
    assert_ne!(old, new);
    let t = Table::parse(&env.ok(&["images"]));
    assert_eq!(t.rows.len(), 2);
    assert_eq!(t.cell(0, "IMAGE ID"), short(&new));
    assert_eq!(t.cell(0, "TAG"), "v1");
    assert_eq!(t.cell(1, "IMAGE ID"), short(&old));
    assert_eq!(t.cell(1, "REPOSITORY"), "<none>");
    assert_eq!(t.cell(1, "TAG"), "<none>");
    assert_eq!(env.ids(&["--filter", "dangling=true"]), [short(&old)]);
    assert_eq!(env.ids(&["--filter", "dangling=false"]), [short(&new)]);
    let v = env.json(&["images", "--filter", "dangling=true"]);
    assert_eq!(v[0]["names"], serde_json::json!([]));
    // The old image keeps its repo digest: name@digest still finds it.
    assert_eq!(v[0]["digests"].as_array().expect("digests").len(), 1);

    // prune: the dangling image goes, and with it (gc) its blobs.
    for b in &old_blobs {
        assert!(env.blob(b).exists(), "{b} before prune");
    }
    let out = env.ok(&["prune"]);
    assert_eq!(out, format!("{}\n", old.trim_start_matches("sha256:")));
    assert_eq!(env.ids(&[]), [short(&new)]);
    for b in &old_blobs {
        assert!(!env.blob(b).exists(), "{b} after prune");
    }
    assert_eq!(env.ok(&["prune"]), "", "nothing left to prune");
    let fsck = env.ok(&["fsck"]);
    assert!(fsck.contains("clean"), "{fsck}");

    // rmi leaves blobs behind; gc removes them and says which.
    let new_doc = env.json(&["inspect", &new]);
    let new_layer = new_doc[0]["layers"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_owned();
    env.ok(&["rmi", &reference]);
    assert!(env.blob(&new_layer).exists());
    let fsck = env.ok(&["fsck"]);
    assert!(fsck.contains("unreferenced blobs"), "{fsck}");
    let gc = env.ok(&["gc"]);
    assert!(gc.contains(&format!("removed blob {new_layer}")), "{gc}");
    assert!(gc.contains(&format!("removed blob {new}")), "{gc}");
    assert!(!env.blob(&new_layer).exists());
    let v = env.json(&["gc"]);
    assert_eq!(v["removed_blobs"], serde_json::json!([]));
    assert!(env.ok(&["fsck"]).contains("clean"));

    // prune --all removes named images too.
    env.pull(&reference);
    assert_eq!(
        env.ok(&["prune", "--all"]),
        format!("{}\n", new.trim_start_matches("sha256:"))
    );
    assert!(env.ids(&[]).is_empty());
    let blobs = std::fs::read_dir(env.store().join("blobs/sha256"))
        .expect("blobs")
        .count();
    assert_eq!(blobs, 0, "prune --all leaves no blob");

    // fsck notices a corrupt blob and fails.
    env.pull(&reference);
    let path = env.blob(&new_layer);
    let mut perms = std::fs::metadata(&path).expect("blob").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).expect("chmod");
    std::fs::write(&path, b"not the layer").expect("corrupt");
    let (stdout, _) = env.fails(&["fsck"], "store-not-clean");
    assert!(
        stdout.contains(&format!("corrupt blob {new_layer}")),
        "{stdout}"
    );
    let out = env.run(&["--format", "json", "fsck"]);
    assert!(!out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["clean"], false);
    assert_eq!(v["corrupt_blobs"][0]["digest"], new_layer.as_str());
}

#[test]
fn inspect_and_history_match_skopeo() {
    let registry = Registry::start(Setup::NoAuth);
    let host = registry.host();
    let pushed = push_image(
        &registry,
        ImageBuilder::new(20)
            .layer(3000)
            .layer(20_000)
            .created("2022-03-04T05:06:07Z")
            .label("tier", "web"),
        "test/insp:v1",
    );
    let env = Env::new();
    let reference = format!("{host}/test/insp:v1");
    let id = env.pull(&reference);

    let raw = skopeo_inspect_raw("test/insp:v1", &registry).expect("skopeo --raw");
    assert_eq!(digest_of(&raw), pushed);
    let manifest: Value = serde_json::from_slice(&raw).expect("manifest");
    let config_raw = Skopeo::new(&registry)
        .inspect_config_raw("test/insp:v1")
        .expect("skopeo --config");
    let config: Value = serde_json::from_slice(&config_raw).expect("config");

    // Human output is the same document, pretty-printed.
    let human: Value = serde_json::from_str(&env.ok(&["inspect", &reference])).expect("json");
    let v = env.json(&["inspect", &reference]);
    assert_eq!(human, v);
    let doc = &v[0];
    assert_eq!(doc["id"], id.as_str());
    assert_eq!(doc["id"], manifest["config"]["digest"]);
    assert_eq!(doc["config_digest"], manifest["config"]["digest"]);
    assert_eq!(doc["manifest_digest"], pushed.as_str());
    assert_eq!(doc["manifest_media_type"], manifest["mediaType"]);
    assert_eq!(doc["repo_tags"], serde_json::json!([reference]));
    assert_eq!(
        doc["repo_digests"],
        serde_json::json!([format!("{host}/test/insp@{pushed}")])
    );
    assert_eq!(doc["os"], config["os"]);
    assert_eq!(doc["architecture"], config["architecture"]);
    assert_eq!(doc["created"], config["created"]);
    assert_eq!(doc["labels"], config["config"]["Labels"]);
    assert_eq!(doc["config"], config, "the parsed config is skopeo's");
    let layers = manifest["layers"].as_array().expect("layers");
    let ours = doc["layers"].as_array().expect("layers");
    assert_eq!(ours.len(), layers.len());
    for (a, b) in ours.iter().zip(layers) {
        assert_eq!(a["digest"], b["digest"]);
        assert_eq!(a["size"], b["size"]);
        assert_eq!(a["media_type"], b["mediaType"]);
    }
    let blob_sizes: u64 = layers
        .iter()
        .map(|l| l["size"].as_u64().expect("size"))
        .sum::<u64>()
        + manifest["config"]["size"].as_u64().expect("size")
        + raw.len() as u64;
    assert_eq!(doc["size"], blob_sizes);
    // Several images: one document each, in order; by short ID too.
    let v = env.json(&["inspect", &short(&id), &reference]);
    assert_eq!(v.as_array().expect("array").len(), 2);
    // An unknown one is reported, the others still printed.
    let out = env.run(&["--format", "json", "inspect", &reference, "nope:1"]);
    assert!(!out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v.as_array().expect("array").len(), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[image-not-known]"));

    // history: the config's steps, newest first; only the newest has an ID.
    let history = config["history"].as_array().expect("history");
    let t = Table::parse(&env.ok(&["history", &reference]));
    assert_eq!(
        t.columns(),
        ["ID", "CREATED", "CREATED BY", "SIZE", "COMMENT"]
    );
    assert_eq!(t.rows.len(), history.len());
    assert_eq!(t.rows.len(), 3);
    assert_eq!(t.cell(0, "ID"), short(&id));
    assert_eq!(t.cell(1, "ID"), "<missing>");
    assert_eq!(t.cell(2, "ID"), "<missing>");
    assert!(t.cell(0, "CREATED").ends_with(" ago"));
    assert_eq!(
        t.cell(0, "CREATED BY"),
        history[2]["created_by"].as_str().expect("created_by")
    );
    assert_eq!(t.cell(0, "SIZE"), "0 B", "an empty layer");
    let long = history[1]["created_by"].as_str().expect("created_by");
    assert!(long.len() > 45);
    let cut = t.cell(1, "CREATED BY");
    assert_eq!(cut.len(), 45);
    assert!(
        cut.ends_with("...") && long.starts_with(&cut[..42]),
        "{cut}"
    );
    let t = Table::parse(&env.ok(&["history", "--no-trunc", &reference]));
    assert_eq!(t.cell(1, "CREATED BY"), long);
    assert_eq!(t.cell(0, "ID"), id);
    let v = env.json(&["history", &reference]);
    let steps = v.as_array().expect("array");
    assert_eq!(steps[0]["id"], id.as_str());
    assert_eq!(steps[1]["id"], Value::Null);
    assert_eq!(steps[0]["empty_layer"], true);
    // Non-empty steps carry their layer's (compressed) size, newest layer first.
    assert_eq!(steps[1]["size"], layers[1]["size"]);
    assert_eq!(steps[2]["size"], layers[0]["size"]);
    assert_eq!(steps[2]["created"], "2022-03-04T05:06:07Z");
    assert_eq!(
        env.ok(&["history", "-q", &reference]),
        format!("{}\n<missing>\n<missing>\n", short(&id))
    );
    env.fails(&["history", "nope:1"], "image-not-known");
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

#[test]
fn login_logout_round_trip() {
    let registry = Registry::start(Setup::basic());
    let host = registry.host();
    let c = registry.credentials().expect("creds").clone();
    push_image(&registry, ImageBuilder::new(30).layer(2000), "test/app:v1");
    let reference = format!("{host}/test/app:v1");
    let env = Env::new();

    // The password comes from stdin only.
    env.fails(&["login", &host, "-u", &c.user], "password-stdin-required");
    let out = env.run(&["login", &host, "-u", &c.user, "-p", &c.password]);
    assert!(!out.status.success(), "no password argument exists");
    env.fails(&["login", &host, "--password-stdin"], "username-required");
    let out = env.run_with_stdin(&["login", &host, "-u", &c.user, "--password-stdin"], "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[password-empty]"));
    assert!(!env.auth_json().exists(), "failed logins write nothing");

    // Without a login the registry refuses.
    env.fails(&["pull", "--plain-http", &reference], "unauthorized");

    let out = env.run_with_stdin(
        &["login", &host, "-u", &c.user, "--password-stdin"],
        &format!("{}\n", c.password),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Login Succeeded!\n");
    let auth = env.auth_json();
    #[cfg(unix)]
    assert_eq!(mode(&auth), 0o600);
    let text = std::fs::read_to_string(&auth).expect("auth.json");
    assert!(
        !text.contains(&c.password),
        "the password is not stored in clear"
    );
    let v: Value = serde_json::from_str(&text).expect("json");
    assert!(v["auths"][&host]["auth"].is_string(), "{text}");

    // pull without --creds uses the stored login.
    let id = env.pull(&reference);
    assert_eq!(env.ids(&["--no-trunc"]), [id]);

    let out = env.ok(&["logout", &host]);
    assert_eq!(out, format!("Removed login credentials for {host}\n"));
    #[cfg(unix)]
    assert_eq!(mode(&auth), 0o600);
    env.fails(&["logout", &host], "not-logged-in");
    env.ok(&["rmi", &reference]);
    env.fails(&["pull", "--plain-http", &reference], "unauthorized");

    // --authfile writes elsewhere.
    let other = env.dir.path().join("other-auth.json");
    let other_s = other.to_str().expect("utf8");
    let out = env.run_with_stdin(
        &[
            "login",
            &host,
            "-u",
            &c.user,
            "--password-stdin",
            "--authfile",
            other_s,
        ],
        &c.password,
    );
    assert!(out.status.success());
    #[cfg(unix)]
    assert_eq!(mode(&other), 0o600);
    env.ok(&["logout", "--authfile", other_s, &host]);
}
