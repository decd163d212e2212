//! A light JSON tree for reading manifests, and the [`Json`] view the descriptor,
//! platform and manifest readers share.
//!
//! `serde_json::Value` builds an ordered hash map per object and owns every string;
//! reading a 1 MiB index that way costs more than checking and tokenising it together.
//! [`Node`] keeps objects as vectors of pairs and borrows every string that has no
//! escapes, which makes building and dropping the tree two to three times cheaper.
//! Objects are searched linearly: [`crate::json::check`] has already rejected duplicate
//! keys, and readers look up a fixed handful of keys, so the work stays linear.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// A parsed JSON value borrowing from the input.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node<'a> {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Str(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// Parses one JSON document (call [`crate::json::check`] first).
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Node<'a>, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let node = Seed.deserialize(&mut de)?;
        de.end()?;
        Ok(node)
    }

    /// Parses one JSON document held in a string.
    pub(crate) fn parse_str(text: &'a str) -> Result<Node<'a>, serde_json::Error> {
        Node::parse(text.as_bytes())
    }
}

#[derive(Clone, Copy)]
struct Seed;

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = Node<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node<'de>, D::Error> {
        d.deserialize_any(Seed)
    }
}

impl<'de> Visitor<'de> for Seed {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any json value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(b))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Node<'de>, E> {
        Ok(Node::Unsigned(n))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Node<'de>, E> {
        Ok(Node::Signed(n))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Node<'de>, E> {
        Ok(Node::Float(n))
    }
    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(s.to_owned())))
    }
    fn visit_string<E>(self, s: String) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element_seed(Seed)? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let value = map.next_value_seed(Seed)?;
            entries.push((key, value));
        }
        Ok(Node::Object(entries))
    }
}

/// What the readers need from a JSON value; implemented for [`Node`] and for
/// `serde_json::Value` (the public `from_value` entry points).
pub(crate) trait Json: Sized {
    /// An object member, if this is an object that has it.
    fn get(&self, key: &str) -> Option<&Self>;
    /// True for objects.
    fn is_object(&self) -> bool;
    /// True for `null`.
    fn is_null(&self) -> bool;
    /// The string, if this is one.
    fn as_str(&self) -> Option<&str>;
    /// The items, if this is an array.
    fn as_array(&self) -> Option<&[Self]>;
    /// The value, if this is a non-negative integer that fits `u64`.
    fn as_u64(&self) -> Option<u64>;
    /// The value, if this is a number.
    fn as_f64(&self) -> Option<f64>;
    /// The members, if this is an object.
    fn members(&self) -> Option<Vec<(&str, &Self)>>;
    /// The value written back as JSON, for error messages.
    fn to_text(&self) -> String;
}

impl Json for Node<'_> {
    fn get(&self, key: &str) -> Option<&Self> {
        match self {
            Node::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn is_object(&self) -> bool {
        matches!(self, Node::Object(_))
    }
    fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }
    fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }
    fn as_array(&self) -> Option<&[Self]> {
        match self {
            Node::Array(items) => Some(items),
            _ => None,
        }
    }
    fn as_u64(&self) -> Option<u64> {
        match self {
            Node::Unsigned(n) => Some(*n),
            Node::Signed(n) => u64::try_from(*n).ok(),
            _ => None,
        }
    }
    fn as_f64(&self) -> Option<f64> {
        match self {
            // Precision loss is what Go's float64 decoding does too.
            Node::Unsigned(n) => Some(*n as f64),
            Node::Signed(n) => Some(*n as f64),
            Node::Float(n) => Some(*n),
            _ => None,
        }
    }
    fn members(&self) -> Option<Vec<(&str, &Self)>> {
        match self {
            Node::Object(entries) => Some(entries.iter().map(|(k, v)| (k.as_ref(), v)).collect()),
            _ => None,
        }
    }
    fn to_text(&self) -> String {
        match self {
            Node::Null => "null".into(),
            Node::Bool(b) => b.to_string(),
            Node::Unsigned(n) => n.to_string(),
            Node::Signed(n) => n.to_string(),
            Node::Float(n) => serde_json::Number::from_f64(*n)
                .map(|n| n.to_string())
                .unwrap_or_else(|| n.to_string()),
            Node::Str(s) => Value::String(s.to_string()).to_string(),
            Node::Array(_) => "[…]".into(),
            Node::Object(_) => "{…}".into(),
        }
    }
}

impl Json for Value {
    fn get(&self, key: &str) -> Option<&Self> {
        self.as_object().and_then(|o| o.get(key))
    }
    fn is_object(&self) -> bool {
        Value::is_object(self)
    }
    fn is_null(&self) -> bool {
        Value::is_null(self)
    }
    fn as_str(&self) -> Option<&str> {
        Value::as_str(self)
    }
    fn as_array(&self) -> Option<&[Self]> {
        Value::as_array(self).map(Vec::as_slice)
    }
    fn as_u64(&self) -> Option<u64> {
        Value::as_u64(self)
    }
    fn as_f64(&self) -> Option<f64> {
        Value::as_f64(self)
    }
    fn members(&self) -> Option<Vec<(&str, &Self)>> {
        self.as_object()
            .map(|o| o.iter().map(|(k, v)| (k.as_str(), v)).collect())
    }
    fn to_text(&self) -> String {
        match self {
            Value::Array(_) => "[…]".into(),
            Value::Object(_) => "{…}".into(),
            v => v.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_value() {
        let text = r#"{"a":[1,-2,1.5,true,null,"x\u0041"],"b":{"c":"d"},"e":18446744073709551615}"#;
        let node = Node::parse_str(text).expect("valid");
        let value: Value = serde_json::from_str(text).expect("valid");
        for key in ["a", "b", "e", "missing"] {
            assert_eq!(node.get(key).is_some(), value.get(key).is_some(), "{key}");
        }
        let (na, va) = (
            node.get("a").and_then(Json::as_array).expect("array"),
            Json::as_array(value.get("a").expect("a")).expect("array"),
        );
        for (n, v) in na.iter().zip(va) {
            assert_eq!(n.as_u64(), Json::as_u64(v));
            assert_eq!(n.as_f64(), Json::as_f64(v));
            assert_eq!(n.as_str(), Json::as_str(v));
            assert_eq!(matches!(n, Node::Bool(true)), v == &Value::Bool(true));
            assert_eq!(n.is_null(), Json::is_null(v));
            assert_eq!(n.to_text(), v.to_text());
        }
        assert_eq!(node.get("e").and_then(Json::as_u64), Some(u64::MAX));
        assert_eq!(
            node.get("b").and_then(Json::members).map(|m| m.len()),
            Some(1)
        );
        assert!(matches!(
            node.get("a")
                .and_then(|a| a.as_array())
                .and_then(|a| a.get(5)),
            Some(Node::Str(Cow::Owned(_)))
        ));
        assert!(Node::parse(b"{} x").is_err());
    }
}
