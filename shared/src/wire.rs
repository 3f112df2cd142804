//! Enums that travel as plain names (`"sold_out"`, `"host"`).
//!
//! `wire_enum!` declares such an enum with each variant's wire name beside it and gives it
//! `as_str`, `Serialize` and `Deserialize`. Every enum reads through one shared visitor instead of
//! serde's derive, which builds a visitor per enum: seven derived readers cost the resident widget
//! about 9 KB of code before compression. The names, the JSON and the error for an unknown name
//! (serde's "unknown variant `x`, expected one of …") are the same as the derive's.

use serde::de::{self, Deserializer, Visitor};

/// The index in `names` of the name `d` holds.
pub(crate) fn read_name<'de, D: Deserializer<'de>>(
    d: D,
    names: &'static [&'static str],
) -> Result<usize, D::Error> {
    struct Names(&'static [&'static str]);
    impl<'de> Visitor<'de> for Names {
        type Value = usize;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "one of {:?}", self.0)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
            self.0
                .iter()
                .position(|n| *n == v)
                .ok_or_else(|| E::unknown_variant(v, self.0))
        }
    }
    d.deserialize_str(Names(names))
}

/// Declares an enum of unit variants, each with its wire name:
/// `wire_enum! { /// docs  pub enum Role { /// docs  Resident = "resident", … } }`.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Their wire names, in the same order.
            pub const NAMES: &'static [&'static str] = &[$($wire),+];

            /// The wire name (`"sold_out"`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::wire::read_name(d, Self::NAMES).map(|i| Self::ALL[i])
            }
        }
    };
}

/// Declares `Deserialize` for a struct read from a JSON object: each field by its name, fields
/// marked `= default` taking their default when absent, the others required (named when missing),
/// unknown fields skipped. What serde's derive does for an object, without the reading of arrays
/// and the field visitor the derive adds: the widget reads orders and deals in every frame, and
/// that code cost its download about a kilobyte each.
/// `read_object! { Deal, "a deal", { id, show, …, picture = default } }`.
macro_rules! read_object {
    ($ty:ident, $what:literal, { $($field:ident $(= $default:ident)?),* $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                struct Fields;
                impl<'de> serde::de::Visitor<'de> for Fields {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$ty, A::Error> {
                        $(let mut $field = None;)*
                        while let Some(key) = map.next_key::<String>()? {
                            match key.as_str() {
                                $(stringify!($field) => $field = Some(map.next_value()?),)*
                                _ => {
                                    map.next_value::<serde::de::IgnoredAny>()?;
                                }
                            }
                        }
                        Ok($ty {
                            $($field: read_object!(@take A, $field $(, $default)?),)*
                        })
                    }
                }
                d.deserialize_map(Fields)
            }
        }
    };
    (@take $a:ident, $field:ident) => {
        $field.ok_or_else(|| {
            <$a::Error as serde::de::Error>::missing_field(stringify!($field))
        })?
    };
    (@take $a:ident, $field:ident, default) => {
        $field.unwrap_or_default()
    };
}

#[cfg(test)]
mod tests {
    use crate::{BagPhase, DealStatus, Eligibility, ErrorCode, OrderStatus, Refusal, Role};

    /// Every variant writes its name and reads back from it; anything else is refused.
    fn round_trips<T>(all: &[T], names: &[&str])
    where
        T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        assert_eq!(all.len(), names.len());
        for (v, name) in all.iter().zip(names) {
            let json = serde_json::to_string(v).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), v);
        }
        let wrong = serde_json::from_str::<T>("\"no_such_name\"").unwrap_err();
        assert!(
            wrong.to_string().contains("unknown variant `no_such_name`"),
            "{wrong}"
        );
        assert!(serde_json::from_str::<T>("3").is_err());
        assert!(serde_json::from_str::<T>("null").is_err());
    }

    #[test]
    fn names_are_snake_case_and_read_back() {
        round_trips(Refusal::ALL, Refusal::NAMES);
        round_trips(ErrorCode::ALL, ErrorCode::NAMES);
        round_trips(DealStatus::ALL, DealStatus::NAMES);
        round_trips(OrderStatus::ALL, OrderStatus::NAMES);
        round_trips(Role::ALL, Role::NAMES);
        round_trips(Eligibility::ALL, Eligibility::NAMES);
        round_trips(BagPhase::ALL, BagPhase::NAMES);
        assert_eq!(ErrorCode::HeadersTooLarge.as_str(), "headers_too_large");
        assert_eq!(OrderStatus::PickedUp.as_str(), "picked_up");
        // An escaped name is still the name.
        assert_eq!(
            serde_json::from_str::<Role>("\"\\u0068ost\"").unwrap(),
            Role::Host
        );
    }
}
