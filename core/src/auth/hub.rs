//! Docker Hub's several names, in one place, so every host asks credential stores the same
//! question.
//!
//! Docker Hub is `docker.io` in references, `registry-1.docker.io` on the wire (the API
//! host the pull machine talks to) and `index.docker.io` / `https://index.docker.io/v1/` in
//! the files and credential helpers `docker login` writes.

use super::DOCKER_HUB_LEGACY_KEY;

/// True for every name of Docker Hub's registry.
pub fn is_docker_hub(host: &str) -> bool {
    matches!(
        host,
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    )
}

/// True when `a` and `b` name one registry: equal, or both Docker Hub.
pub fn same_registry(a: &str, b: &str) -> bool {
    a == b || (is_docker_hub(a) && is_docker_hub(b))
}

/// The server URL a credential helper (`docker-credential-NAME get`) is asked about for
/// registry `host`: the host itself, and [`DOCKER_HUB_LEGACY_KEY`] for Docker Hub, the key
/// `docker login` stores Hub credentials under in every helper (docker-credential-helpers
/// protocol, `ServerURL`).
pub fn helper_server_url(host: &str) -> &str {
    if is_docker_hub(host) {
        DOCKER_HUB_LEGACY_KEY
    } else {
        host
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_names() {
        for h in ["docker.io", "index.docker.io", "registry-1.docker.io"] {
            assert!(is_docker_hub(h));
            assert_eq!(helper_server_url(h), DOCKER_HUB_LEGACY_KEY);
            assert!(same_registry(h, "docker.io"));
        }
        for h in [
            "quay.io",
            "localhost:5000",
            "docker.io.evil.example",
            "hub.docker.com",
        ] {
            assert!(!is_docker_hub(h), "{h}");
            assert_eq!(helper_server_url(h), h);
            assert!(!same_registry(h, "docker.io"));
        }
        assert!(same_registry("quay.io", "quay.io"));
    }
}
