//! `reference`.

use hoist_core::reference::{self, ImageLocation, Reference, RegistriesConf as CoreConf};

use crate::bindings::exports::hoist::image::reference as wr;
use crate::bindings::exports::hoist::image::types::{Error, ImageReference};
use crate::convert::{self, digest_in, res};
use crate::Component;

fn described(r: Result<Reference, reference::ReferenceError>) -> Result<ImageReference, Error> {
    res(r).map(|r| convert::reference_out(&r))
}

/// A parsed registries.conf.
pub struct RegistriesConf(CoreConf);

impl wr::GuestRegistriesConf for RegistriesConf {
    fn parse(text: String) -> Result<wr::RegistriesConf, Error> {
        Ok(wr::RegistriesConf::new(RegistriesConf(res(
            CoreConf::parse(&text),
        )?)))
    }

    fn registries(&self) -> Vec<wr::Registry> {
        self.0
            .registries()
            .iter()
            .map(convert::registry_out)
            .collect()
    }

    fn unqualified_search_registries(&self) -> Vec<String> {
        self.0.unqualified_search_registries().to_vec()
    }

    fn short_name_mode(&self) -> Option<wr::ShortNameMode> {
        self.0.configured_short_name_mode().map(convert::mode_out)
    }

    fn aliases(&self) -> Vec<(String, Option<String>)> {
        self.0
            .aliases()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_ref().map(|r| r.as_str().to_owned())))
            .collect()
    }

    fn find_registry(&self, reference: String) -> Option<wr::Registry> {
        self.0.find_registry(&reference).map(convert::registry_out)
    }

    fn pull_sources(&self, reference: String) -> Result<Vec<wr::PullSource>, Error> {
        let r = res(reference::parse_normalized(&reference))?;
        let sources = res(self.0.pull_sources(&r))?;
        Ok(sources.iter().map(convert::pull_source_out).collect())
    }

    fn short_name_candidates(
        &self,
        name: String,
        mode: Option<wr::ShortNameMode>,
    ) -> Result<wr::ShortNameResolution, Error> {
        let r = match mode {
            Some(m) => self
                .0
                .short_name_candidates_with_mode(&name, convert::mode_in(m)),
            None => self.0.short_name_candidates(&name),
        };
        res(r).map(|r| convert::resolution_out(&r))
    }

    fn candidates_to_try(&self, name: String) -> Result<Vec<String>, Error> {
        let list = res(self.0.candidates_to_try(&name))?;
        Ok(list.iter().map(|r| r.as_str().to_owned()).collect())
    }
}

impl wr::Guest for Component {
    type RegistriesConf = RegistriesConf;

    fn parse(text: String) -> Result<ImageReference, Error> {
        described(reference::parse(&text))
    }

    fn parse_normalized(text: String) -> Result<ImageReference, Error> {
        described(reference::parse_normalized(&text))
    }

    fn parse_named(text: String) -> Result<ImageReference, Error> {
        described(reference::parse_named(&text))
    }

    fn parse_name(text: String) -> Result<ImageReference, Error> {
        described(Reference::parse_name(&text))
    }

    fn parse_docker_ref(text: String) -> Result<ImageReference, Error> {
        described(reference::parse_docker_ref(&text))
    }

    fn familiar(text: String) -> Result<String, Error> {
        res(reference::parse_normalized(&text)).map(|r| r.familiar().to_owned())
    }

    fn canonical(text: String) -> Result<String, Error> {
        res(reference::parse_normalized(&text)).map(|r| r.canonical())
    }

    fn with_tag(reference: String, tag: String) -> Result<ImageReference, Error> {
        let r = res(reference::parse(&reference))?;
        described(r.with_tag(&tag))
    }

    fn with_digest(reference: String, digest: String) -> Result<ImageReference, Error> {
        let r = res(reference::parse(&reference))?;
        Ok(convert::reference_out(&r.with_digest(digest_in(&digest)?)))
    }

    fn is_short_name(text: String) -> Result<bool, Error> {
        res(reference::is_short_name(&text))
    }

    fn parse_image_location(text: String) -> Result<wr::ImageLocation, Error> {
        res(ImageLocation::parse(&text)).map(|l| convert::location_out(&l))
    }
}
