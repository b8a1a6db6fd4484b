//! Macros for Skaffold's one-of groups.
//!
//! serde cannot combine `#[serde(flatten)]` with `deny_unknown_fields`, so a struct that carries a
//! one-of group is (de)serialized through a private "raw" twin whose group members are plain
//! optional fields; the conversion checks that at most one member is set and turns it into the
//! public enum. A conflict becomes an error naming both keys, which the loader then points at.
//! The public type's `schemars::JsonSchema` is the raw twin's schema (its keys are the ones the
//! deserializer accepts) with the public type's name and doc comment.

/// A struct with ordinary fields and one one-of group, stored as `Option<Enum>`.
///
/// Fields before and after the group keep their order in the serialized YAML. With
/// `one_of("group", required)` a missing member is an error too.
macro_rules! one_of_struct {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident / $raw:ident {
            $(
                $(#[doc = $bdoc:literal])*
                $(#[serde($($bser:tt)*)])?
                pub $bfield:ident : $bty:ty,
            )*
        }
        one_of($group:literal $(, $required:ident)?)
        $(#[doc = $gdoc:literal])*
        pub $gfield:ident : Option<$enum:ident> {
            $( $key:ident = $kname:literal => $variant:ident($vty:ty), )+
        }
        {
            $(
                $(#[doc = $adoc:literal])*
                $(#[serde($($aser:tt)*)])?
                pub $afield:ident : $aty:ty,
            )*
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name {
            $( $(#[doc = $bdoc])* pub $bfield: $bty, )*
            $(#[doc = $gdoc])*
            pub $gfield: Option<$enum>,
            $( $(#[doc = $adoc])* pub $afield: $aty, )*
        }

        #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct $raw {
            $( $(#[doc = $bdoc])* $(#[serde($($bser)*)])? $bfield: $bty, )*
            $(
                #[serde(rename = $kname, default, skip_serializing_if = "Option::is_none")]
                $key: Option<$vty>,
            )+
            $( $(#[doc = $adoc])* $(#[serde($($aser)*)])? $afield: $aty, )*
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                $crate::model::described(<$raw as schemars::JsonSchema>::json_schema(generator), &[$($doc),*])
            }
        }

        impl $name {
            /// The YAML keys of the one-of group, in schema order.
            pub const ONE_OF_KEYS: &'static [&'static str] = &[$($kname),+];

            fn from_raw(raw: $raw) -> Result<Self, String> {
                let mut set: Vec<&'static str> = Vec::new();
                $(
                    if raw.$key.as_ref().is_some_and(|v| !$crate::model::OneOfValue::is_zero(v)) {
                        set.push($kname);
                    }
                )+
                if set.len() > 1 {
                    return Err($crate::model::one_of_conflict(set[0], set[1], Self::ONE_OF_KEYS));
                }
                let mut $gfield: Option<$enum> = None;
                $(
                    if let Some(v) = raw.$key {
                        if !$crate::model::OneOfValue::is_zero(&v) {
                            $gfield = Some($enum::$variant(v));
                        }
                    }
                )+
                $(
                    let _ = stringify!($required);
                    if $gfield.is_none() {
                        return Err($crate::model::one_of_missing(Self::ONE_OF_KEYS));
                    }
                )?
                Ok(Self { $($bfield: raw.$bfield,)* $gfield, $($afield: raw.$afield,)* })
            }

            fn to_raw(&self) -> $raw {
                let mut raw = $raw {
                    $($bfield: self.$bfield.clone(),)*
                    $($key: None,)+
                    $($afield: self.$afield.clone(),)*
                };
                match &self.$gfield {
                    $( Some($enum::$variant(v)) => raw.$key = Some(v.clone()), )+
                    None => {}
                }
                raw
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serde::Serialize::serialize(&self.to_raw(), s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <$raw as serde::Deserialize>::deserialize(d)?;
                Self::from_raw(raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A type that is nothing but a one-of group (`tagPolicy`, hook items): an enum whose YAML form
/// is a mapping with exactly one of the member keys.
macro_rules! one_of_enum {
    (
        $(#[doc = $doc:literal])*
        pub enum $name:ident / $raw:ident ($group:literal) {
            $( $(#[doc = $vdoc:literal])* $key:ident = $kname:literal => $variant:ident($vty:ty), )+
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub enum $name {
            $( $(#[doc = $vdoc])* $variant($vty), )+
        }

        #[derive(Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        struct $raw {
            $(
                $(#[doc = $vdoc])*
                #[serde(rename = $kname, default, skip_serializing_if = "Option::is_none")]
                $key: Option<$vty>,
            )+
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                $crate::model::described(<$raw as schemars::JsonSchema>::json_schema(generator), &[$($doc),*])
            }
        }

        impl $name {
            /// The YAML keys of the one-of group, in schema order.
            pub const ONE_OF_KEYS: &'static [&'static str] = &[$($kname),+];

            /// The YAML key of this member.
            pub fn key(&self) -> &'static str {
                match self {
                    $( $name::$variant(_) => $kname, )+
                }
            }

            fn from_raw(raw: $raw) -> Result<Option<Self>, String> {
                let mut set: Vec<&'static str> = Vec::new();
                $(
                    if raw.$key.as_ref().is_some_and(|v| !$crate::model::OneOfValue::is_zero(v)) {
                        set.push($kname);
                    }
                )+
                if set.len() > 1 {
                    return Err($crate::model::one_of_conflict(set[0], set[1], Self::ONE_OF_KEYS));
                }
                $(
                    if let Some(v) = raw.$key {
                        if !$crate::model::OneOfValue::is_zero(&v) {
                            return Ok(Some($name::$variant(v)));
                        }
                    }
                )+
                Ok(None)
            }

            fn to_raw(&self) -> $raw {
                let mut raw = $raw::default();
                match self {
                    $( $name::$variant(v) => raw.$key = Some(v.clone()), )+
                }
                raw
            }

            /// `deserialize_with` for an optional field where an empty mapping means unset.
            #[allow(dead_code)]
            pub(crate) fn deserialize_opt<'de, D: serde::Deserializer<'de>>(
                d: D,
            ) -> Result<Option<Self>, D::Error> {
                let raw = <$raw as serde::Deserialize>::deserialize(d)?;
                Self::from_raw(raw).map_err(serde::de::Error::custom)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serde::Serialize::serialize(&self.to_raw(), s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <$raw as serde::Deserialize>::deserialize(d)?;
                Self::from_raw(raw)
                    .and_then(|v| v.ok_or_else(|| $crate::model::one_of_missing(Self::ONE_OF_KEYS)))
                    .map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Mark struct types as one-of members that are "set" whenever present.
macro_rules! impl_one_of_value {
    ($($t:ty),* $(,)?) => {
        $( impl $crate::model::OneOfValue for $t {} )*
    };
}
