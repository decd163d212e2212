//! Compact forms for the hot reference functions (`parseReference` and friends), which
//! tools call once per image name, often over whole registries' worth of names.
//!
//! Why not a plain object (`#[napi(object)]`) built natively: building an object through
//! Node-API costs one internalized key lookup and one map transition per property in the
//! engine's slow path. Profiled over the 100k reference corpus (tests/bench/node.sh), the
//! object made up two thirds of an accepted call; with the compact form an accepted call
//! costs about half. A rejected call is dominated by V8 itself (the stack captured when
//! the `Error` is created, and the throw), whoever creates and throws it; throwing from
//! JavaScript rather than with `napi_throw` measured 10–15 % cheaper. So these functions
//! hand JavaScript:
//!
//! - the reference's eight fields as ONE Latin-1 string, fields separated by `\n` and an
//!   absent field empty (the reference grammar admits neither control characters nor empty
//!   parts, and [`ReferenceParts`] checks both rather than trust it); the package's
//!   `lib/convert.js` splits it into the documented object with an object literal, which
//!   the engine builds from a cached shape;
//! - a rejection as an `Error` with `.code` that is *returned*, not thrown; `lib/convert.js`
//!   throws it, so callers see exactly the same thrown `Error`.
//!
//! Arguments are read with one UTF-8 conversion into a stack buffer ([`Text`]) instead of
//! a length query, a zeroed heap buffer and a copy.

use std::ptr;

use hoist_core::reference::Reference;
use napi::bindgen_prelude::{FromNapiValue, ToNapiValue, TypeName, ValueType};
use napi::{sys, Status};

use super::Result;

/// Bytes of UTF-8 read without touching the heap: every reference the grammar accepts
/// (name ≤ 255, tag ≤ 128, a sha512 digest) fits.
const INLINE: usize = 640;

/// A string argument, converted from JavaScript once.
pub struct Text {
    inline: [u8; INLINE],
    len: usize,
    heap: Option<String>,
}

impl Text {
    /// The argument.
    pub fn as_str(&self) -> &str {
        match &self.heap {
            Some(s) => s,
            // `from_napi_value` stores only a prefix that passed `from_utf8`.
            None => std::str::from_utf8(&self.inline[..self.len]).unwrap_or_default(),
        }
    }
}

impl TypeName for Text {
    fn type_name() -> &'static str {
        "String"
    }

    fn value_type() -> ValueType {
        ValueType::String
    }
}

impl FromNapiValue for Text {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let mut text = Text {
            inline: [0; INLINE],
            len: 0,
            heap: None,
        };
        let mut copied = 0usize;
        // SAFETY: `env` and `value` come from the generated callback; the buffer is
        // INLINE bytes long and Node writes at most INLINE - 1 bytes plus a NUL.
        let status = unsafe {
            sys::napi_get_value_string_utf8(
                env,
                value,
                text.inline.as_mut_ptr().cast(),
                INLINE,
                &mut copied,
            )
        };
        // Node copies whole characters only: with room for a 4-byte character left over,
        // nothing was cut off. Otherwise (or for a non-string, whose error this reports
        // exactly as a `String` argument does) take the general path.
        if status == sys::Status::napi_ok
            && copied + 4 < INLINE - 1
            && std::str::from_utf8(&text.inline[..copied]).is_ok()
        {
            text.len = copied;
            return Ok(text);
        }
        // SAFETY: as above.
        let s = unsafe { String::from_napi_value(env, value)? };
        text.len = s.len();
        text.heap = Some(s);
        Ok(text)
    }
}

/// A result handed to JavaScript without throwing: the value, or the `Error` (with
/// `.code`) that `lib/convert.js` throws. For the hot functions only (see the module docs).
pub struct Returned<T>(pub Result<T>);

impl<T> TypeName for Returned<T> {
    fn type_name() -> &'static str {
        "Returned"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl<T: ToNapiValue> ToNapiValue for Returned<T> {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        match val.0 {
            // SAFETY: `env` is the callback's.
            Ok(v) => unsafe { T::to_napi_value(env, v) },
            Err(e) => {
                let code = e.status.as_ref();
                // SAFETY: `env` is the callback's; the strings are valid UTF-8 with the
                // lengths given; the out-pointers are live locals.
                unsafe {
                    let js_code = utf8(env, code)?;
                    let message = utf8(env, &e.reason)?;
                    let mut error = ptr::null_mut();
                    check(sys::napi_create_error(env, js_code, message, &mut error))?;
                    Ok(error)
                }
            }
        }
    }
}

/// A reference as its eight fields in one string (see the module docs): domain, path,
/// name, tag, digest, string, familiar, canonical; absent ones empty.
pub struct ReferenceParts(pub Reference);

impl TypeName for ReferenceParts {
    fn type_name() -> &'static str {
        "String"
    }

    fn value_type() -> ValueType {
        ValueType::String
    }
}

impl ToNapiValue for ReferenceParts {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let packed =
            pack_reference(&val.0).map_err(|e| napi::Error::new(Status::GenericFailure, e))?;
        // SAFETY: `env` is the callback's; `packed` is ASCII (checked), so each byte is
        // the Latin-1 character of the same value.
        unsafe {
            let mut out = ptr::null_mut();
            check(sys::napi_create_string_latin1(
                env,
                packed.as_ptr().cast(),
                packed.len() as isize,
                &mut out,
            ))?;
            Ok(out)
        }
    }
}

/// The packed form, or why the reference cannot be packed (never, for references the
/// core's grammar accepted; checked so a grammar change cannot corrupt fields silently).
pub fn pack_reference(r: &Reference) -> std::result::Result<String, &'static str> {
    let canonical = r.canonical();
    let fields = [
        r.domain().unwrap_or_default(),
        r.path(),
        r.name(),
        r.tag().unwrap_or_default(),
        r.digest().map_or("", |d| d.as_str()),
        r.as_str(),
        r.familiar(),
        &canonical,
    ];
    let mut packed = String::with_capacity(fields.iter().map(|f| f.len() + 1).sum());
    for (i, f) in fields.iter().enumerate() {
        let optional = matches!(i, 0 | 3 | 4);
        if (f.is_empty() && !optional) || !f.bytes().all(|b| b.is_ascii() && b != b'\n') {
            return Err("reference field cannot be packed");
        }
        if i > 0 {
            packed.push('\n');
        }
        packed.push_str(f);
    }
    Ok(packed)
}

/// A JavaScript string of `s`.
unsafe fn utf8(env: sys::napi_env, s: &str) -> napi::Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    // SAFETY: the caller's `env`; `s` is valid for `s.len()` bytes.
    check(unsafe {
        sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut out)
    })?;
    Ok(out)
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(
            Status::from(status),
            "node-api call failed",
        ))
    }
}
