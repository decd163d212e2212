//! Normalising OS and architecture names exactly as containerd's `platforms` package does
//! (`database.go`: `isKnownOS`, `isKnownArch`, `normalizeOS`, `normalizeArch`).

/// Operating systems containerd knows (`database.go` `isKnownOS`, from Go's `syslist.go`).
pub(super) const KNOWN_OS: [&str; 17] = [
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "windows",
    "zos",
];

/// Architectures containerd knows (`database.go` `isKnownArch`).
pub(super) const KNOWN_ARCH: [&str; 24] = [
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "ppc64",
    "ppc64le",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

/// Normalises an OS name: lower case, `macos` → `darwin` (containerd `normalizeOS`).
pub fn normalize_os(os: &str) -> String {
    let os = os.to_ascii_lowercase();
    if os == "macos" {
        "darwin".to_owned()
    } else {
        os
    }
}

/// Normalises an architecture and variant exactly as containerd's `normalizeArch`:
///
/// | input | output |
/// |---|---|
/// | `i386` | `386`, variant dropped |
/// | `x86_64`, `x86-64`, `amd64` | `amd64`; variant `v1` dropped |
/// | `aarch64`, `arm64` | `arm64`; variant `8`/`v8`/`v8.0` dropped, `9`/`9.0`/`v9.0` → `v9` |
/// | `armhf` | `arm` `v7` |
/// | `armel` | `arm` `v6` |
/// | `arm` | variant empty or `7` → `v7`; `5`, `6`, `8` → `v5`, `v6`, `v8` |
///
/// Both are lower-cased first; other architectures pass through.
pub fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let arch = arch.to_ascii_lowercase();
    let variant = variant.to_ascii_lowercase();
    match arch.as_str() {
        "i386" => ("386".into(), String::new()),
        "x86_64" | "x86-64" | "amd64" => (
            "amd64".into(),
            if variant == "v1" {
                String::new()
            } else {
                variant
            },
        ),
        "aarch64" | "arm64" => (
            "arm64".into(),
            match variant.as_str() {
                "8" | "v8" | "v8.0" => String::new(),
                "9" | "9.0" | "v9.0" => "v9".into(),
                _ => variant,
            },
        ),
        "armhf" => ("arm".into(), "v7".into()),
        "armel" => ("arm".into(), "v6".into()),
        "arm" => {
            let variant = match variant.as_str() {
                "" | "7" => "v7".into(),
                "5" | "6" | "8" => format!("v{variant}"),
                _ => variant,
            };
            ("arm".into(), variant)
        }
        _ => (arch, variant),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;

    #[test]
    fn normalize_table() {
        // containerd database.go normalizeArch
        let cases = [
            (("i386", "x"), ("386", "")),
            (("x86_64", ""), ("amd64", "")),
            (("x86-64", "v1"), ("amd64", "")),
            (("AMD64", "V2"), ("amd64", "v2")),
            (("aarch64", ""), ("arm64", "")),
            (("arm64", "8"), ("arm64", "")),
            (("arm64", "v8"), ("arm64", "")),
            (("arm64", "v8.2"), ("arm64", "v8.2")),
            (("arm64", "v8.0"), ("arm64", "")),
            (("arm64", "9"), ("arm64", "v9")),
            (("arm64", "v9.0"), ("arm64", "v9")),
            (("armhf", ""), ("arm", "v7")),
            (("armel", "v7"), ("arm", "v6")),
            (("arm", ""), ("arm", "v7")),
            (("arm", "7"), ("arm", "v7")),
            (("arm", "5"), ("arm", "v5")),
            (("arm", "6"), ("arm", "v6")),
            (("arm", "8"), ("arm", "v8")),
            (("arm", "v4"), ("arm", "v4")),
            (("PPC64LE", ""), ("ppc64le", "")),
        ];
        for ((a, v), (wa, wv)) in cases {
            assert_eq!(
                normalize_arch(a, v),
                (wa.to_owned(), wv.to_owned()),
                "{a}/{v}"
            );
        }
        let n = Platform {
            os_features: vec!["b".into(), "a".into(), "b".into()],
            ..Platform::new("MacOS", "x86_64", "")
        }
        .normalize();
        assert_eq!(n.os, "darwin");
        assert_eq!(n.os_features, vec!["a".to_owned(), "b".to_owned()]);
    }
}
