//! `digest`, `platform`, `manifest`, `config` and `ids`.

use std::cell::RefCell;

use hoist_core::config::{self, schema1, ImageConfig, Timestamp};
use hoist_core::descriptor::Descriptor;
use hoist_core::digest::{Algorithm, Digest, Verifier as CoreVerifier};
use hoist_core::id::{self, IdPrefix};
use hoist_core::manifest::{Limits, Manifest};
use hoist_core::platform::{select_platform, Platform};

use crate::bindings::exports::hoist::image::types::{Error, Platform as WPlatform};
use crate::bindings::exports::hoist::image::{
    config as wc, digest as wd, ids, manifest as wm, platform as wp,
};
use crate::convert::{self, digest_in, digests_in, digests_out, err, res};
use crate::Component;

/// A streaming verifier; `finish` spends it (later calls fail with `verifier-finished`).
pub struct Verifier(RefCell<Option<CoreVerifier>>);

fn finished() -> Error {
    Error {
        code: "verifier-finished".to_owned(),
        message: "the verifier was already finished".to_owned(),
    }
}

impl wd::GuestVerifier for Verifier {
    fn create(expected: String, size: Option<u64>) -> Result<wd::Verifier, Error> {
        let mut v = CoreVerifier::new(digest_in(&expected)?);
        if let Some(size) = size {
            v = v.with_size(size);
        }
        Ok(wd::Verifier::new(Verifier(RefCell::new(Some(v)))))
    }

    fn update(&self, chunk: Vec<u8>) -> Result<(), Error> {
        match self.0.borrow_mut().as_mut() {
            Some(v) => res(v.update(&chunk)),
            None => Err(finished()),
        }
    }

    fn finish(&self) -> Result<String, Error> {
        match self.0.borrow_mut().take() {
            Some(v) => res(v.finish()).map(|d| d.to_string()),
            None => Err(finished()),
        }
    }
}

impl wd::Guest for Component {
    type Verifier = Verifier;

    fn parse_digest(text: String) -> Result<wd::DigestParts, Error> {
        let d = digest_in(&text)?;
        Ok(wd::DigestParts {
            algorithm: d.algorithm().as_str().to_owned(),
            encoded: d.encoded().to_owned(),
        })
    }

    fn digest_of(algorithm: wd::Algorithm, data: Vec<u8>) -> String {
        let alg = match algorithm {
            wd::Algorithm::Sha256 => Algorithm::Sha256,
            wd::Algorithm::Sha512 => Algorithm::Sha512,
        };
        Digest::of(alg, &data).to_string()
    }
}

impl wp::Guest for Component {
    fn parse(specifier: String, host: WPlatform) -> Result<WPlatform, Error> {
        res(Platform::parse(&specifier, &convert::platform_in(host)))
            .map(|p| convert::platform_out(&p))
    }

    fn from_json(json: String) -> Result<WPlatform, Error> {
        let value = res(hoist_core::json::parse_value(json.as_bytes()))?;
        res(Platform::from_value(&value)).map(|p| convert::platform_out(&p))
    }

    fn to_json(platform: WPlatform) -> String {
        serde_json::to_string(&convert::platform_in(platform)).unwrap_or_default()
    }

    fn normalize(platform: WPlatform) -> WPlatform {
        convert::platform_out(&convert::platform_in(platform).normalize())
    }

    fn format(platform: WPlatform) -> String {
        convert::platform_in(platform).format()
    }

    fn matches(want: WPlatform, candidate: WPlatform, strict: bool) -> bool {
        let (want, candidate) = (convert::platform_in(want), convert::platform_in(candidate));
        if strict {
            want.matches(&candidate)
        } else {
            want.compatible(&candidate)
        }
    }
}

impl wm::Guest for Component {
    fn default_limits() -> wm::ManifestLimits {
        convert::limits_out(&Limits::default())
    }

    fn parse_manifest(
        body: Vec<u8>,
        content_type: Option<String>,
        parent_media_type: Option<String>,
        limits: wm::ManifestLimits,
    ) -> Result<wm::ManifestInfo, Error> {
        let m = res(Manifest::parse_with_limits(
            &body,
            content_type.as_deref(),
            parent_media_type.as_deref(),
            &convert::limits_in(limits),
        ))?;
        Ok(convert::manifest_out(&m))
    }

    fn verify_manifest(
        body: Vec<u8>,
        content_type: Option<String>,
        expected: String,
    ) -> Result<(), Error> {
        let expected = digest_in(&expected)?;
        let m = res(Manifest::parse(&body, content_type.as_deref(), None))?;
        res(m.verify(&expected))
    }

    fn select_platform(children: Vec<wm::Descriptor>, want: WPlatform) -> Result<u32, Error> {
        let children: Vec<Descriptor> = children
            .into_iter()
            .map(convert::descriptor_in)
            .collect::<Result<_, _>>()?;
        let chosen = res(select_platform(&children, &convert::platform_in(want)))?;
        let index = children
            .iter()
            .position(|c| std::ptr::eq(c, chosen))
            .unwrap_or(0);
        Ok(u32::try_from(index).unwrap_or(u32::MAX))
    }

    fn descriptor_from_json(json: String) -> Result<wm::Descriptor, Error> {
        let value = res(hoist_core::json::parse_value(json.as_bytes()))?;
        res(Descriptor::from_value(&value)).map(|d| convert::descriptor_out(&d))
    }

    fn descriptor_to_json(descriptor: wm::Descriptor) -> Result<String, Error> {
        let d = convert::descriptor_in(descriptor)?;
        Ok(serde_json::to_string(&d).unwrap_or_default())
    }
}

impl wc::Guest for Component {
    fn parse_config(bytes: Vec<u8>) -> Result<wc::ImageConfig, Error> {
        res(ImageConfig::parse(&bytes)).map(|c| convert::image_config_out(&c))
    }

    fn check_layers(config: Vec<u8>, layers: u32) -> Result<(), Error> {
        let c = res(ImageConfig::parse(&config))?;
        res(c.check_layers(usize::try_from(layers).unwrap_or(usize::MAX)))
    }

    fn parse_timestamp(text: String) -> Result<wc::Timestamp, Error> {
        res(Timestamp::parse(&text)).map(|t| convert::timestamp_out(&t))
    }

    fn parse_user(user: String) -> Option<wc::ImageUser> {
        config::parse_user(&user).as_ref().map(convert::user_out)
    }
}

impl ids::Guest for Component {
    fn image_id(config: Vec<u8>) -> String {
        id::image_id(&config).to_string()
    }

    fn chain_ids(diff_ids: Vec<String>) -> Result<Vec<String>, Error> {
        Ok(digests_out(&id::chain_ids(&digests_in(&diff_ids)?)))
    }

    fn chain_id(diff_ids: Vec<String>) -> Result<Option<String>, Error> {
        Ok(id::chain_id(&digests_in(&diff_ids)?).map(|d| d.to_string()))
    }

    fn parse_id_prefix(prefix: String) -> Result<ids::IdPrefix, Error> {
        let p = res(IdPrefix::parse(&prefix))?;
        Ok(ids::IdPrefix {
            hex: p.as_str().to_owned(),
            full: p.is_full(),
        })
    }

    fn id_prefix_matches(prefix: String, id: String) -> Result<bool, Error> {
        let id = digest_in(&id)?;
        Ok(res(IdPrefix::parse(&prefix))?.matches(&id))
    }

    fn short_id(id: String) -> Result<String, Error> {
        Ok(id::short_id(&digest_in(&id)?).to_owned())
    }

    fn looks_like_id(text: String) -> bool {
        id::looks_like_id(&text)
    }

    fn repo_digest(name: String, digest: String) -> Result<String, Error> {
        Ok(id::repo_digest(&name, &digest_in(&digest)?))
    }

    fn schema1_to_config(
        history: Vec<ids::Schema1Entry>,
        diff_ids: Vec<String>,
    ) -> Result<ids::Schema1Conversion, Error> {
        let history: Vec<(String, Digest)> = history
            .into_iter()
            .map(|h| Ok((h.v1_compatibility, digest_in(&h.blob_sum)?)))
            .collect::<Result<_, Error>>()?;
        let s = schema1::to_config(&history, &digests_in(&diff_ids)?).map_err(err)?;
        Ok(ids::Schema1Conversion {
            config: String::from_utf8_lossy(s.config.raw()).into_owned(),
            image_id: s.config.id().to_string(),
            layers: digests_out(&s.layers),
        })
    }
}
