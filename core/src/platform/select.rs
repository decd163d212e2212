//! Choosing one entry of an index for a wanted platform, following containerd's
//! `platforms.Only` (`compare.go`, `platform_windows_compat.go`).

use std::cmp::Ordering;

use super::{normalize_os, Platform, PlatformError};
use crate::descriptor::Descriptor;

/// Chooses the index entry to pull for `wanted` (containerd `images.Manifest` with
/// `platforms.Only(wanted)`).
///
/// - Entries without a `platform` are skipped (buildx attestations, artifacts).
/// - An exact match (after normalisation) wins over every fallback; fallbacks are ranked
///   in containerd's order (`arm64` → `arm64` minor levels → `arm/v8` → `v7` → `v6` →
///   `v5`; `arm/v7` → `v6` → `v5`; `amd64/v3` → `v2` → `v1` → `386`).
/// - On Windows, an entry matches only if its `os.version` can run on the wanted one
///   (same major.minor; same build below Windows Server 2022, or any build from 20348 up
///   to the host's from 2022 on; an empty version on either side matches). Among equal
///   ranks the highest version wins, so the host's own build is preferred.
/// - Otherwise, ties go to the first entry in index order.
///
/// Fails with `no-matching-platform`, listing what the index offers.
pub fn select_platform<'a>(
    children: &'a [Descriptor],
    wanted: &Platform,
) -> Result<&'a Descriptor, PlatformError> {
    let vector = vector(wanted);
    let windows = normalize_os(&wanted.os) == "windows";
    let mut best: Option<(usize, &'a Descriptor)> = None;
    for child in children {
        let Some(p) = child.platform.as_ref() else {
            continue;
        };
        let Some(r) = rank(&vector, p) else {
            continue;
        };
        let better = match best {
            None => true,
            Some((br, bd)) => {
                r < br
                    || (r == br
                        && windows
                        && compare_versions(
                            &p.os_version,
                            bd.platform
                                .as_ref()
                                .map(|b| b.os_version.as_str())
                                .unwrap_or_default(),
                        ) == Ordering::Greater)
            }
        };
        if better {
            best = Some((r, child));
        }
    }
    best.map(|(_, d)| d).ok_or_else(|| PlatformError::NoMatch {
        wanted: wanted.format(),
        available: children
            .iter()
            .filter_map(|c| c.platform.as_ref().map(Platform::format))
            .collect(),
    })
}

/// The position of the first matcher in `vector` that accepts `p`.
pub(super) fn rank(vector: &[Matcher], p: &Platform) -> Option<usize> {
    vector.iter().position(|m| m.matches(p))
}

/// containerd `platformVector(Normalize(p))`, as matchers.
pub(super) fn vector(wanted: &Platform) -> Vec<Matcher> {
    let mut out = Vec::new();
    platform_vector(&wanted.normalize(), &mut out);
    out.iter().map(Matcher::new).collect()
}

/// Variants above these are not real hardware levels; they cap the fallback loops so a
/// hostile variant like `v999999999` cannot make a vector of a billion entries.
const MAX_LEVEL: i64 = 16;

fn platform_vector(p: &Platform, out: &mut Vec<Platform>) {
    out.push(p.clone());
    let with_variant = |arch: &str, variant: String| Platform {
        architecture: arch.to_owned(),
        variant,
        ..p.clone()
    };
    match p.architecture.as_str() {
        "amd64" => {
            if let Some(v) = atoi(p.variant.strip_prefix('v').unwrap_or(&p.variant)) {
                for level in (1..v.min(MAX_LEVEL + 1)).rev() {
                    out.push(with_variant("amd64", format!("v{level}")));
                }
            }
            out.push(with_variant("386", String::new()));
        }
        "arm" => {
            if let Some(v) = atoi(p.variant.strip_prefix('v').unwrap_or(&p.variant)) {
                for level in (5..v.min(MAX_LEVEL + 1)).rev() {
                    out.push(with_variant("arm", format!("v{level}")));
                }
            }
        }
        "arm64" => {
            let mut variant = if p.variant.is_empty() {
                "v8".to_owned()
            } else {
                p.variant.clone()
            };
            let (major_s, minor_s) = match variant.split_once('.') {
                Some((a, b)) => (a, Some(b)),
                None => (variant.as_str(), None),
            };
            if let Some(mut major) = atoi(major_s.strip_prefix('v').unwrap_or(major_s)) {
                if major >= 8 {
                    let mut minor = 0;
                    if variant.len() == 4 {
                        if let Some(m) = minor_s.and_then(atoi) {
                            minor = m.min(MAX_LEVEL);
                        }
                    }
                    let level = |major: i64, minor: i64| {
                        if minor == 0 {
                            format!("v{major}")
                        } else {
                            format!("v{major}.{minor}")
                        }
                    };
                    if major == 9 {
                        for m in (0..minor).rev() {
                            out.push(with_variant("arm64", level(9, m)));
                        }
                        // v9.0 diverged from v8.5: v9.x runs v8.{x+5} code.
                        minor += 5;
                        major = 8;
                        out.push(with_variant("arm64", format!("v8.{minor}")));
                    }
                    for m in (0..minor).rev() {
                        out.push(with_variant("arm64", level(major, m)));
                    }
                }
            }
            if variant.starts_with("v8.") || variant.starts_with("v9.") {
                variant = "v8".to_owned();
            }
            platform_vector(&with_variant("arm", variant), out);
        }
        _ => {}
    }
}

/// Go's `strconv.Atoi`: optional sign, decimal digits, no overflow.
fn atoi(s: &str) -> Option<i64> {
    s.parse::<i64>().ok()
}

/// containerd's `matcher` (plus its Windows OS-version matcher).
#[derive(Clone, Debug)]
pub(super) struct Matcher {
    platform: Platform,
    windows: Option<WindowsVersion>,
}

impl Matcher {
    pub(super) fn new(p: &Platform) -> Matcher {
        let platform = p.normalize();
        let windows =
            (platform.os == "windows").then(|| WindowsVersion::parse(&platform.os_version));
        Matcher { platform, windows }
    }

    pub(super) fn matches(&self, other: &Platform) -> bool {
        let n = other.normalize();
        let m = &self.platform;
        if m.os != n.os || m.architecture != n.architecture || m.variant != n.variant {
            return false;
        }
        if let Some(host) = self.windows {
            if !host.runs(&other.os_version) {
                return false;
            }
        }
        // The component's required features must all be offered (both lists are sorted).
        let mut offered = m.os_features.iter().peekable();
        n.os_features.iter().all(|need| loop {
            match offered.next() {
                Some(f) if f == need => break true,
                Some(f) if need < f => break false,
                Some(_) => {}
                None => break false,
            }
        })
    }
}

/// Windows Server 2019 (ltsc2019, "rs5").
#[cfg(test)]
const RS5: u16 = 17763;
/// Windows Server 2022 (ltsc2022): the first build with a stable container ABI.
const WS2022: u16 = 20348;

/// containerd `windowsOSVersion`: `major.minor.build[.revision]`; zero when unparsable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct WindowsVersion {
    major: u8,
    minor: u8,
    build: u16,
}

impl WindowsVersion {
    fn parse(s: &str) -> WindowsVersion {
        let mut parts = s.split('.');
        let (Some(a), Some(b), Some(c)) = (parts.next(), parts.next(), parts.next()) else {
            return WindowsVersion::default();
        };
        match (a.parse(), b.parse(), c.parse()) {
            (Ok(major), Ok(minor), Ok(build)) => WindowsVersion {
                major,
                minor,
                build,
            },
            _ => WindowsVersion::default(),
        }
    }

    fn is_empty(self) -> bool {
        self == WindowsVersion::default()
    }

    /// containerd `windowsVersionMatcher.Match` + `checkWindowsHostAndContainerCompat`.
    fn runs(self, container: &str) -> bool {
        if self.is_empty() || container.is_empty() {
            return true;
        }
        let ctr = WindowsVersion::parse(container);
        if self.major != ctr.major || self.minor != ctr.minor {
            return false;
        }
        if self.build < WS2022 {
            return self.build == ctr.build;
        }
        ctr.build >= WS2022 && ctr.build <= self.build
    }
}

/// Compares dotted version strings numerically component by component (containerd
/// compares them as strings, which agrees whenever the components have equal widths).
fn compare_versions(a: &str, b: &str) -> Ordering {
    let mut x = a.split('.');
    let mut y = b.split('.');
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (Some(_), None) => return Ordering::Greater,
            (None, Some(_)) => return Ordering::Less,
            (Some(p), Some(q)) => {
                let o = match (p.parse::<u64>(), q.parse::<u64>()) {
                    (Ok(p), Ok(q)) => p.cmp(&q),
                    _ => p.cmp(q),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

pub(super) fn is_component(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;
    use crate::platform::tests::{host, p};
    use crate::ErrorCode;

    #[test]
    fn only_table() {
        // containerd compare_test.go TestOnly
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "linux/amd64",
                &["linux/amd64", "linux/386"],
                &[
                    "linux/amd64/v2",
                    "linux/arm/v7",
                    "linux/arm64",
                    "windows/amd64",
                    "windows/arm",
                ],
            ),
            (
                "linux/amd64/v2",
                &[
                    "linux/amd64",
                    "linux/amd64/v1",
                    "linux/amd64/v2",
                    "linux/386",
                ],
                &[
                    "linux/amd64/v3",
                    "linux/amd64/v4",
                    "linux/arm/v7",
                    "linux/arm64",
                    "windows/amd64",
                ],
            ),
            (
                "linux/386",
                &["linux/386"],
                &[
                    "linux/amd64",
                    "linux/arm/v7",
                    "linux/arm64",
                    "windows/amd64",
                ],
            ),
            (
                "windows/amd64",
                &["windows/amd64", "windows(10.0.17763)/amd64"],
                &["linux/amd64", "linux/arm/v7", "linux/arm64", "windows/arm"],
            ),
            (
                "linux/arm/v8",
                &[
                    "linux/arm",
                    "linux/arm/v5",
                    "linux/arm/v6",
                    "linux/arm/v7",
                    "linux/arm/v8",
                ],
                &[
                    "linux/amd64",
                    "linux/arm/v4",
                    "linux/arm64",
                    "windows/amd64",
                    "windows/arm",
                ],
            ),
            (
                "linux/arm/v7",
                &["linux/arm", "linux/arm/v5", "linux/arm/v6", "linux/arm/v7"],
                &[
                    "linux/amd64",
                    "linux/arm/v4",
                    "linux/arm/v8",
                    "linux/arm64",
                    "windows/amd64",
                ],
            ),
            (
                "linux/arm/v6",
                &["linux/arm/v5", "linux/arm/v6"],
                &[
                    "linux/amd64",
                    "linux/arm",
                    "linux/arm/v4",
                    "linux/arm/v7",
                    "linux/arm/v8",
                    "linux/arm64",
                ],
            ),
            (
                "linux/arm/v5",
                &["linux/arm/v5"],
                &[
                    "linux/amd64",
                    "linux/arm",
                    "linux/arm/v4",
                    "linux/arm/v6",
                    "linux/arm/v7",
                    "linux/arm/v8",
                    "linux/arm64",
                ],
            ),
            (
                "linux/arm/v4",
                &["linux/arm/v4"],
                &[
                    "linux/amd64",
                    "linux/arm",
                    "linux/arm/v5",
                    "linux/arm/v6",
                    "linux/arm/v7",
                    "linux/arm/v8",
                    "linux/arm64",
                ],
            ),
            (
                "linux/arm64/v9",
                &[
                    "linux/arm",
                    "linux/arm/v5",
                    "linux/arm/v6",
                    "linux/arm/v7",
                    "linux/arm/v8",
                    "linux/arm64",
                    "linux/arm64/v8",
                    "linux/arm64/v8.1",
                    "linux/arm64/v8.2",
                    "linux/arm64/v8.3",
                    "linux/arm64/v8.4",
                    "linux/arm64/v8.5",
                    "linux/arm64/v9",
                    "linux/arm64/v9.0",
                ],
                &[
                    "linux/amd64",
                    "linux/arm/v4",
                    "windows/amd64",
                    "windows/arm",
                    "linux/arm64/v8.6",
                ],
            ),
            (
                "linux/arm64/v8.1",
                &[
                    "linux/arm",
                    "linux/arm/v5",
                    "linux/arm/v6",
                    "linux/arm/v7",
                    "linux/arm/v8",
                    "linux/arm64",
                    "linux/arm64/v8",
                    "linux/arm64/v8.1",
                ],
                &[
                    "linux/amd64",
                    "linux/arm/v4",
                    "linux/arm/v9",
                    "linux/arm64/v9",
                    "windows/amd64",
                    "windows/arm",
                ],
            ),
            (
                "linux/arm64",
                &[
                    "linux/arm",
                    "linux/arm/v5",
                    "linux/arm/v6",
                    "linux/arm/v7",
                    "linux/arm/v8",
                    "linux/arm64",
                    "linux/arm64/v8",
                ],
                &[
                    "linux/amd64",
                    "linux/arm/v4",
                    "linux/arm/v9",
                    "linux/arm64/v9",
                    "windows/amd64",
                    "windows/arm",
                ],
            ),
        ];
        for (want, yes, no) in cases {
            let w = p(want);
            for c in *yes {
                assert!(w.compatible(&p(c)), "Only({want}) should match {c}");
            }
            for c in *no {
                assert!(!w.compatible(&p(c)), "Only({want}) should not match {c}");
            }
        }
    }

    #[test]
    fn only_strict_table() {
        // containerd compare_test.go TestOnlyStrict (subset)
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "linux/amd64",
                &["linux/amd64"],
                &["linux/386", "linux/arm/v7", "linux/arm64", "windows/amd64"],
            ),
            (
                "windows(10.0.17763)/amd64",
                &["windows/amd64", "windows(10.0.17763)/amd64"],
                &["linux/amd64", "windows/arm"],
            ),
            (
                "linux/arm/v7",
                &["linux/arm", "linux/arm/v7"],
                &[
                    "linux/arm/v5",
                    "linux/arm/v6",
                    "linux/arm/v8",
                    "linux/arm64",
                ],
            ),
            (
                "linux/arm64/v9",
                &["linux/arm64/v9", "linux/arm64/v9.0"],
                &["linux/arm/v8", "linux/arm64/v8", "linux/arm64/v8.1"],
            ),
            (
                "linux/arm64",
                &["linux/arm64", "linux/arm64/v8"],
                &["linux/arm", "linux/arm/v8", "linux/arm64/v9"],
            ),
        ];
        for (want, yes, no) in cases {
            let w = p(want);
            for c in *yes {
                assert!(w.matches(&p(c)), "OnlyStrict({want}) should match {c}");
            }
            for c in *no {
                assert!(!w.matches(&p(c)), "OnlyStrict({want}) should not match {c}");
            }
        }
    }

    #[test]
    fn windows_compat() {
        // containerd platform_windows_compat_test.go Test_PlatformCompat
        let v = |b: u16| WindowsVersion {
            major: 10,
            minor: 0,
            build: b,
        };
        let win11 = 22621;
        let cases = [
            (RS5, RS5, true),
            (RS5, WS2022, false),
            (WS2022, RS5, false),
            (WS2022, WS2022, true),
            (win11, RS5, false),
            (win11, WS2022, true),
        ];
        for (host, ctr, ok) in cases {
            assert_eq!(v(host).runs(&format!("10.0.{ctr}")), ok, "{host} {ctr}");
        }
    }

    fn desc(platform: Option<Platform>, i: u8) -> Descriptor {
        Descriptor {
            platform,
            ..Descriptor::new(crate::media_type::OCI_MANIFEST, Digest::sha256_of(&[i]), 1)
        }
    }

    #[test]
    fn select() {
        let win = |v: &str| Platform {
            os_version: v.into(),
            ..Platform::new("windows", "amd64", "")
        };
        let linux = Platform::new("linux", "amd64", "");
        // containerd Test_PlatformOrder + defaults_windows_test.go TestMatchComparerLess
        type Case = (Platform, Vec<Option<Platform>>, Result<usize, &'static str>);
        let cases: Vec<Case> = vec![
            (
                win("10.0.20348.3091"),
                vec![
                    Some(linux.clone()),
                    Some(win("10.0.20348.3091")),
                    Some(win("10.0.26100.2894")),
                ],
                Ok(1),
            ),
            (
                win("10.0.26100.2894"),
                vec![
                    Some(linux.clone()),
                    Some(win("10.0.20348.3091")),
                    Some(win("10.0.26100.2894")),
                ],
                Ok(2),
            ),
            (
                win("10.0.26100.2894"),
                vec![
                    Some(linux.clone()),
                    Some(win("10.0.20348.3091")),
                    Some(win("10.0.26100.3000")),
                ],
                Ok(2),
            ),
            (
                win("10.0.17763"),
                vec![
                    Some(win("10.0.17764.1")),
                    Some(win("")),
                    Some(win("10.0.17763.1")),
                    Some(win("10.0.17763.2")),
                    Some(win("10.0.17762.1")),
                ],
                Ok(3),
            ),
            (
                win("10.0.17763"),
                vec![Some(win("10.0.17764.1")), Some(win(""))],
                Ok(1),
            ),
            (
                win("10.0.17763"),
                vec![Some(win("10.0.17764.1"))],
                Err("no-matching-platform"),
            ),
            (
                p("linux/arm64"),
                vec![
                    None,
                    Some(p("linux/arm/v6")),
                    Some(p("linux/arm/v7")),
                    Some(p("linux/amd64")),
                ],
                Ok(2),
            ),
            (
                p("linux/arm64"),
                vec![Some(p("linux/arm/v7")), Some(p("linux/arm64/v8"))],
                Ok(1),
            ),
            (
                p("linux/arm/v7"),
                vec![Some(p("linux/arm/v5")), Some(p("linux/arm/v6"))],
                Ok(1),
            ),
            (
                p("linux/amd64"),
                vec![
                    Some(p("linux/386")),
                    Some(p("linux/amd64")),
                    Some(p("linux/amd64")),
                ],
                Ok(1),
            ),
            (p("linux/amd64"), vec![None], Err("no-matching-platform")),
            (p("linux/amd64"), vec![], Err("no-matching-platform")),
        ];
        for (i, (want, avail, expected)) in cases.into_iter().enumerate() {
            let children: Vec<Descriptor> = avail
                .into_iter()
                .enumerate()
                .map(|(j, p)| desc(p, u8::try_from(j).expect("small")))
                .collect();
            let got = select_platform(&children, &want)
                .map(|d| {
                    children
                        .iter()
                        .position(|c| std::ptr::eq(c, d))
                        .expect("in")
                })
                .map_err(|e| e.code());
            assert_eq!(got, expected, "case {i}");
        }
    }

    #[test]
    fn no_match_message() {
        let children: Vec<Descriptor> = (0..30u8)
            .map(|i| desc(Some(Platform::new("linux", &format!("a{i}"), "")), i))
            .collect();
        let e = select_platform(&children, &host()).expect_err("none");
        let msg = e.to_string();
        assert!(
            msg.starts_with("no matching platform for linux/amd64; available: linux/a0, linux/a1"),
            "{msg}"
        );
        assert!(msg.ends_with("and 10 more"), "{msg}");
    }

    #[test]
    fn hostile_variant_is_bounded() {
        let w = Platform::new("linux", "amd64", "v999999999999");
        assert!(vector(&w).len() < 40);
        let w = Platform::new("linux", "arm", "v999999999999");
        assert!(vector(&w).len() < 40);
    }
}
