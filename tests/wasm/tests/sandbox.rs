//! A policy check the way a policy engine would run hoist's core: the component under
//! fuel and memory limits, fed hostile input. Every hostile input either fails with a
//! typed error or runs out of its budget (a trap), and the host carries on with a fresh
//! instance.

use hoist_wasm_tests::bindings::exports::hoist::image::types::Platform;
use hoist_wasm_tests::{component_path, Instance, Limits, Loaded};
use wasmtime::Trap;

/// One compiled, fuel-metered component for every test here (compiling is the slow part).
fn loaded() -> anyhow::Result<&'static Loaded> {
    static LOADED: std::sync::OnceLock<Result<Loaded, String>> = std::sync::OnceLock::new();
    LOADED
        .get_or_init(|| {
            component_path()
                .and_then(|p| Loaded::new(&p, true))
                .map_err(|e| format!("{e:#}"))
        })
        .as_ref()
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn sandbox() -> Limits {
    Limits {
        fuel: Some(200_000_000),
        memory_bytes: 64 << 20,
    }
}

/// The example policy: only images from `allowed_registry`, with at most `max_layers`
/// layers. Returns the decision or the core's error code.
fn policy(
    instance: &mut Instance,
    reference: &str,
    manifest: &[u8],
    allowed_registry: &str,
    max_layers: usize,
) -> anyhow::Result<Result<bool, String>> {
    let core = &instance.core;
    let r = match core
        .hoist_image_reference()
        .call_parse_normalized(&mut instance.store, reference)?
    {
        Ok(r) => r,
        Err(e) => return Ok(Err(e.code)),
    };
    let m = core.hoist_image_manifest();
    let limits = m.call_default_limits(&mut instance.store)?;
    let info = match m.call_parse_manifest(&mut instance.store, manifest, None, None, limits)? {
        Ok(i) => i,
        Err(e) => return Ok(Err(e.code)),
    };
    Ok(Ok(
        r.domain.as_deref() == Some(allowed_registry) && info.layers.len() <= max_layers
    ))
}

const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}]}"#;

fn is_trap(e: &wasmtime::Error, trap: Trap) -> bool {
    e.downcast_ref::<Trap>() == Some(&trap)
}

#[test]
fn policy_decides_on_ordinary_input() -> anyhow::Result<()> {
    let loaded = loaded()?;
    let mut i = loaded.instantiate(&sandbox())?;
    assert_eq!(
        policy(
            &mut i,
            "quay.io/podman/stable:v5",
            MANIFEST.as_bytes(),
            "quay.io",
            10
        )?,
        Ok(true)
    );
    assert_eq!(
        policy(&mut i, "alpine", MANIFEST.as_bytes(), "quay.io", 10)?,
        Ok(false)
    );
    assert_eq!(
        policy(&mut i, "quay.io/x:y", MANIFEST.as_bytes(), "quay.io", 0)?,
        Ok(false)
    );
    assert_eq!(
        policy(&mut i, "Upper/Case", MANIFEST.as_bytes(), "quay.io", 10)?,
        Err("name-contains-uppercase".to_owned())
    );
    Ok(())
}

#[test]
fn a_one_megabyte_reference_fails_cleanly_within_budget() -> anyhow::Result<()> {
    let loaded = loaded()?;
    let mut i = loaded.instantiate(&sandbox())?;
    let huge = format!("quay.io/{}:tag", "a".repeat(1 << 20));
    let before = i.store.get_fuel()?;
    let r = i
        .core
        .hoist_image_reference()
        .call_parse(&mut i.store, &huge)?;
    let used = before - i.store.get_fuel()?;
    let e = r.expect_err("a 1 MB reference must be refused");
    assert_eq!(e.code, "name-too-long", "{}", e.message);
    assert!(
        e.message.len() < 200,
        "the message must not echo the input: {} bytes",
        e.message.len()
    );
    eprintln!("1 MB reference refused with {used} fuel");
    // The same instance keeps working.
    assert_eq!(
        policy(&mut i, "quay.io/a/b", MANIFEST.as_bytes(), "quay.io", 1)?,
        Ok(true)
    );
    Ok(())
}

#[test]
fn a_deeply_nested_manifest_fails_cleanly() -> anyhow::Result<()> {
    let loaded = loaded()?;
    let mut i = loaded.instantiate(&sandbox())?;
    let depth = 100_000;
    let body = format!(
        r#"{{"schemaVersion":2,"x":{}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let m = i.core.hoist_image_manifest();
    let limits = m.call_default_limits(&mut i.store)?;
    let r = m.call_parse_manifest(&mut i.store, body.as_bytes(), None, None, limits)?;
    assert_eq!(
        r.expect_err("nesting must be refused").code,
        "json-too-deep"
    );
    assert_eq!(
        policy(&mut i, "quay.io/a/b", MANIFEST.as_bytes(), "quay.io", 1)?,
        Ok(true)
    );
    Ok(())
}

#[test]
fn running_out_of_fuel_traps_and_the_host_survives() -> anyhow::Result<()> {
    let loaded = loaded()?;
    let mut i = loaded.instantiate(&Limits {
        fuel: Some(20_000),
        memory_bytes: 64 << 20,
    })?;
    // Parsing an index with many entries needs far more than 20k instructions.
    let entry = r#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"platform":{"architecture":"amd64","os":"linux"}}"#;
    let body = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{}]}}"#,
        vec![entry; 500].join(",")
    );
    let m = i.core.hoist_image_manifest();
    let limits = m.call_default_limits(&mut i.store)?;
    let err = m
        .call_parse_manifest(&mut i.store, body.as_bytes(), None, None, limits)
        .expect_err("20k fuel cannot parse 500 entries");
    assert!(is_trap(&err, Trap::OutOfFuel), "{err:?}");
    // The trapped instance is done for; a fresh one with a normal budget works.
    let mut fresh = loaded.instantiate(&sandbox())?;
    assert_eq!(
        policy(&mut fresh, "quay.io/a/b", MANIFEST.as_bytes(), "quay.io", 1)?,
        Ok(true)
    );
    Ok(())
}

#[test]
fn exceeding_the_memory_limit_traps_and_the_host_survives() -> anyhow::Result<()> {
    let loaded = loaded()?;
    let mut i = loaded.instantiate(&Limits {
        fuel: Some(200_000_000),
        memory_bytes: 4 << 20,
    })?;
    // 8 MB cannot even be copied into a 4 MB sandbox.
    let big = "a".repeat(8 << 20);
    let host = Platform {
        architecture: "amd64".into(),
        os: "linux".into(),
        os_version: String::new(),
        os_features: Vec::new(),
        variant: String::new(),
    };
    let r = i
        .core
        .hoist_image_platform()
        .call_parse(&mut i.store, &big, &host);
    assert!(r.is_err(), "an 8 MB argument must not fit in 4 MB");
    let mut fresh = loaded.instantiate(&sandbox())?;
    assert_eq!(
        policy(&mut fresh, "quay.io/a/b", MANIFEST.as_bytes(), "quay.io", 1)?,
        Ok(true)
    );
    Ok(())
}
