//! `pull`: the puller resource over `hoist_core::pull::Puller`.

use std::cell::RefCell;

use hoist_core::pull::{Endpoint, PullConfig, Puller as CorePuller};
use hoist_core::reference::{self, RegistriesConf};

use crate::bindings::exports::hoist::image::pull as wp;
use crate::bindings::exports::hoist::image::types::Error;
use crate::convert::{self, res};
use crate::Component;

/// One pull; the machine is driven through `&self`, hence the cell.
pub struct Puller(RefCell<CorePuller>);

impl wp::GuestPuller for Puller {
    fn start(
        request: wp::PullRequest,
        config: wp::PullConfig,
        now: u64,
    ) -> Result<wp::Puller, Error> {
        let request = convert::pull_request_in(request)?;
        let config = convert::pull_config_in(config)?;
        let machine = res(CorePuller::new(request, config, now))?;
        Ok(wp::Puller::new(Puller(RefCell::new(machine))))
    }

    fn handle_input(&self, input: wp::Input) -> Result<(), Error> {
        let input = convert::input_in(input)?;
        res(self.0.borrow_mut().handle_input(input))
    }

    fn poll_output(&self) -> Result<wp::Output, Error> {
        res(self.0.borrow_mut().poll_output()).map(convert::output_out)
    }
}

impl wp::Guest for Component {
    type Puller = Puller;

    fn default_config() -> wp::PullConfig {
        convert::pull_config_out(&PullConfig::default())
    }

    fn endpoints(
        reference: String,
        registries_conf: Option<String>,
        plain_http: bool,
    ) -> Result<Vec<wp::Endpoint>, Error> {
        let r = res(reference::parse_normalized(&reference))?;
        let conf = registries_conf
            .map(|t| res(RegistriesConf::parse(&t)))
            .transpose()?;
        let list = res(Endpoint::for_reference(&r, conf.as_ref(), plain_http))?;
        Ok(convert::endpoints_out(&list))
    }
}
