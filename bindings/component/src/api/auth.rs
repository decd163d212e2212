//! `auth`.

use std::cell::RefCell;

use hoist_core::auth::{
    self as core_auth, AuthError, DockerConfig as CoreConfig, Keyring as CoreKeyring, Secret,
    TokenParams,
};

use crate::bindings::exports::hoist::image::auth as wa;
use crate::bindings::exports::hoist::image::types::{Credentials, Error, Pair};
use crate::convert::{self, credentials_in, credentials_out, err, res};
use crate::Component;

/// A parsed auth file.
pub struct DockerConfig(CoreConfig);

impl wa::GuestDockerConfig for DockerConfig {
    fn parse(bytes: Vec<u8>, legacy: bool) -> Result<wa::DockerConfig, Error> {
        let c = if legacy {
            CoreConfig::parse_legacy(&bytes)
        } else {
            CoreConfig::parse(&bytes)
        };
        Ok(wa::DockerConfig::new(DockerConfig(res(c)?)))
    }

    fn auth_keys(&self) -> Vec<String> {
        self.0.auth_keys().map(str::to_owned).collect()
    }

    fn cred_helpers(&self) -> Vec<Pair> {
        self.0
            .cred_helpers()
            .map(|(r, h)| (r.to_owned(), h.to_owned()))
            .collect()
    }

    fn creds_store(&self) -> Option<String> {
        self.0.creds_store().map(str::to_owned)
    }

    fn lookup_credentials(&self, key: String) -> Result<wa::Lookup, Error> {
        res(self.0.lookup(&key)).map(|l| convert::lookup_out(&l))
    }

    fn with_login(&self, key: String, username: String, password: String) -> Result<String, Error> {
        let file = res(self.0.with_login(&key, &username, &Secret::new(password)))?;
        Ok(file.expose().to_owned())
    }

    fn without(&self, key: String) -> Result<String, Error> {
        Ok(res(self.0.without(&key))?.expose().to_owned())
    }
}

/// kubelet's keyring; `add` mutates it, hence the cell (a component instance is
/// single-threaded).
pub struct Keyring(RefCell<CoreKeyring>);

impl wa::GuestKeyring for Keyring {
    fn new() -> Self {
        Keyring(RefCell::new(CoreKeyring::new()))
    }

    fn add(&self, config: wa::DockerConfigBorrow<'_>) -> Result<(), Error> {
        res(self.0.borrow_mut().add(&config.get::<DockerConfig>().0))
    }

    fn lookup(&self, image: String) -> Vec<Credentials> {
        self.0
            .borrow()
            .lookup(&image)
            .iter()
            .map(credentials_out)
            .collect()
    }
}

impl wa::Guest for Component {
    type DockerConfig = DockerConfig;
    type Keyring = Keyring;

    fn decode_auth_config(
        config: wa::AuthConfig,
        registry_host: String,
    ) -> Result<Credentials, Error> {
        let c = res(core_auth::decode_auth_config(
            &convert::auth_config_in(config),
            &registry_host,
        ))?;
        Ok(credentials_out(&c))
    }

    fn parse_helper_output(output: Vec<u8>) -> Result<Credentials, Error> {
        res(core_auth::parse_helper_output(&output)).map(|c| credentials_out(&c))
    }

    fn auth_file_paths(env: wa::AuthFileEnv) -> Vec<wa::AuthFile> {
        core_auth::auth_file_paths(&convert::auth_file_env_in(env))
            .into_iter()
            .map(convert::auth_file_out)
            .collect()
    }

    fn auth_file_for_write(env: wa::AuthFileEnv) -> Result<String, Error> {
        res(core_auth::auth_file_for_write(&convert::auth_file_env_in(
            env,
        )))
    }

    fn urls_match(glob: String, target: String) -> bool {
        core_auth::urls_match(&glob, &target)
    }

    fn is_default_registry_match(image: String) -> bool {
        core_auth::is_default_registry_match(&image)
    }

    fn parse_challenges(headers: Vec<String>) -> Result<Vec<wa::Challenge>, Error> {
        let list = res(core_auth::parse_challenges(&headers))?;
        Ok(list.iter().map(convert::challenge_out).collect())
    }

    fn token_request(
        challenge_header: String,
        credentials: Credentials,
        flow: wa::TokenFlow,
        options: wa::TokenOptions,
    ) -> Result<wa::TokenHttpRequest, Error> {
        let challenges = res(core_auth::parse_challenges(&[challenge_header]))?;
        let first = challenges
            .first()
            .ok_or_else(|| err(AuthError::RealmMissing))?;
        let mut params = res(TokenParams::from_challenge(
            first,
            options.registry_is_http,
            &options.extra_scopes,
        ))?;
        params.offline = options.offline;
        let request = res(core_auth::token_request(
            &params,
            &credentials_in(credentials),
            convert::flow_in(flow),
        ))?;
        Ok(convert::token_request_out(&request))
    }

    fn parse_token_response(body: Vec<u8>) -> Result<wa::Token, Error> {
        res(core_auth::parse_token_response(&body)).map(|t| convert::token_out(&t))
    }

    fn basic_authorization(username: String, password: String) -> String {
        core_auth::basic_authorization(&username, &Secret::new(password))
            .expose()
            .to_owned()
    }

    fn preferred_flow(credentials: Credentials) -> Option<wa::TokenFlow> {
        core_auth::preferred_flow(&credentials_in(credentials)).map(convert::flow_out)
    }

    fn fallback_to_get(status: u16, credentials: Credentials) -> bool {
        core_auth::fallback_to_get(status, &credentials_in(credentials))
    }

    fn validate_realm(realm: String, registry_is_http: bool) -> Result<wa::Realm, Error> {
        res(core_auth::validate_realm(&realm, registry_is_http)).map(|r| convert::realm_out(&r))
    }
}
