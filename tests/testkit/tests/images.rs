//! The image builder alone: determinism and layout well-formedness (no registry needed).

use std::fs;
use std::io::Read as _;

use hoist_testkit::image::{blob_path, layout_entry, REF_NAME_ANNOTATION};
use hoist_testkit::{digest_of, ImageBuilder, ManifestFormat, Platform, Result};
use serde_json::Value;

fn two_layer(seed: u64) -> ImageBuilder {
    ImageBuilder::new(seed).layer(3000).layer(70_000).tag("v1")
}

#[test]
fn same_builder_same_digests() -> Result<()> {
    let a = tempfile::tempdir()?;
    let b = tempfile::tempdir()?;
    let one = two_layer(42).write(a.path())?;
    let two = two_layer(42).write(b.path())?;
    assert_eq!(one.descriptor, two.descriptor);
    assert_eq!(one.bytes, two.bytes);
    assert_eq!(one.manifests, two.manifests);
    let other = two_layer(43).write(b.path())?;
    assert_ne!(one.digest(), other.digest());
    Ok(())
}

#[test]
fn layout_is_well_formed() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let image = two_layer(1)
        .user("0:0")
        .label("x", "y")
        .created("2021-02-03T04:05:06Z")
        .write(dir.path())?;
    assert!(!image.is_index());
    let layout: Value = serde_json::from_slice(&fs::read(dir.path().join("oci-layout"))?)?;
    assert_eq!(layout["imageLayoutVersion"], "1.0.0");
    assert_eq!(layout_entry(dir.path(), "v1")?, image.descriptor);

    // Every blob is stored under its digest.
    let m = &image.manifests[0];
    for d in std::iter::once(&m.descriptor)
        .chain(std::iter::once(&m.config))
        .chain(m.layers.iter().map(|l| &l.descriptor))
    {
        let bytes = fs::read(blob_path(dir.path(), &d.digest))?;
        assert_eq!(digest_of(&bytes), d.digest);
        assert_eq!(bytes.len() as u64, d.size);
    }

    // The config's diff_ids are the digests of the uncompressed tars.
    let config: Value = serde_json::from_slice(&m.config_bytes)?;
    assert_eq!(config["config"]["User"], "0:0");
    assert_eq!(config["config"]["Labels"]["x"], "y");
    assert_eq!(config["created"], "2021-02-03T04:05:06Z");
    assert_eq!(config["architecture"], "amd64");
    assert_eq!(config["history"].as_array().map(Vec::len), Some(3));
    for (i, layer) in m.layers.iter().enumerate() {
        let gz = fs::read(blob_path(dir.path(), &layer.descriptor.digest))?;
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(gz.as_slice()).read_to_end(&mut tar)?;
        assert_eq!(digest_of(&tar), layer.diff_id);
        assert_eq!(config["rootfs"]["diff_ids"][i], layer.diff_id.as_str());
        let mut archive = tar::Archive::new(tar.as_slice());
        let mut names = Vec::new();
        for entry in archive.entries()? {
            let entry = entry?;
            assert_eq!(entry.header().mtime()?, hoist_testkit::image::LAYER_MTIME);
            assert_eq!(entry.header().uid()?, 0);
            names.push(entry.path()?.to_string_lossy().into_owned());
        }
        assert_eq!(
            names,
            vec![
                "hoist/".to_string(),
                format!("hoist/layer-{i}.txt"),
                format!("hoist/layer-{i}.bin")
            ]
        );
    }
    Ok(())
}

#[test]
fn multi_platform_index_and_docker_list() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let oci = ImageBuilder::new(5)
        .layer(100)
        .platforms(Platform::standard_set())
        .tag("multi")
        .write(dir.path())?;
    let docker = ImageBuilder::new(5)
        .layer(100)
        .format(ManifestFormat::DockerV2)
        .platforms(Platform::standard_set())
        .tag("multi-docker")
        .write(dir.path())?;
    for (image, format) in [
        (&oci, ManifestFormat::Oci),
        (&docker, ManifestFormat::DockerV2),
    ] {
        assert!(image.is_index());
        assert_eq!(image.descriptor.media_type, format.index_media_type());
        let index: Value = serde_json::from_slice(&image.bytes)?;
        let entries = index["manifests"].as_array().cloned().unwrap_or_default();
        assert_eq!(entries.len(), 3);
        let platforms: Vec<String> = image
            .manifests
            .iter()
            .map(|m| m.platform.to_string())
            .collect();
        assert_eq!(platforms, ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"]);
        assert_eq!(entries[1]["platform"]["variant"], "v8");
        assert_eq!(entries[2]["platform"]["architecture"], "arm");
        for m in &image.manifests {
            assert_eq!(m.descriptor.media_type, format.manifest_media_type());
            assert_eq!(m.config.media_type, format.config_media_type());
            assert_eq!(m.layers[0].descriptor.media_type, format.layer_media_type());
        }
        // Each platform has its own layer content.
        assert_ne!(
            image.manifests[0].layers[0].diff_id,
            image.manifests[1].layers[0].diff_id
        );
    }
    // Both tags live in one layout.
    let index: Value = serde_json::from_slice(&fs::read(dir.path().join("index.json"))?)?;
    let tags: Vec<&str> = index["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["annotations"][REF_NAME_ANNOTATION].as_str())
        .collect();
    assert_eq!(tags, ["multi", "multi-docker"]);
    // Rewriting a tag replaces its entry.
    ImageBuilder::new(6)
        .layer(10)
        .tag("multi")
        .write(dir.path())?;
    let index: Value = serde_json::from_slice(&fs::read(dir.path().join("index.json"))?)?;
    assert_eq!(index["manifests"].as_array().map(Vec::len), Some(2));
    Ok(())
}

#[test]
fn pretty_json_changes_bytes_not_content() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let compact = ImageBuilder::new(9).layer(10).tag("c").write(dir.path())?;
    let pretty = ImageBuilder::new(9)
        .layer(10)
        .pretty_json(true)
        .tag("p")
        .write(dir.path())?;
    assert_ne!(compact.digest(), pretty.digest());
    let a: Value = serde_json::from_slice(&compact.manifests[0].config_bytes)?;
    let b: Value = serde_json::from_slice(&pretty.manifests[0].config_bytes)?;
    assert_eq!(a, b);
    assert_eq!(
        compact.manifests[0].layers, pretty.manifests[0].layers,
        "layers do not depend on JSON formatting"
    );
    Ok(())
}
