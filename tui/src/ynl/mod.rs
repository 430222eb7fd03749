//! YNL: the kernel's machine-readable descriptions of netlink families
//! (Documentation/netlink/specs), read so that the decoder can name what
//! they describe.
//!
//! - `spec`: the YAML as written (serde), for the four schemas;
//! - `compile`: a spec resolved into lookup tables ([`Family`]);
//! - `registry`: the specs loaded ([`Specs`]): the kernel's, embedded at
//!   build time, and any a user adds.
//!
//! Decoding a message under a spec is the decoder's (`decode::ynl`); this
//! module only knows specs.

pub mod compile;
pub mod registry;
pub mod spec;

pub use compile::{
    Attr, AttrKind, AttrSet, Direction, Enum, EnumUse, Family, Format, Hint, Member, MemberKind,
    Modes, Op, Order, Scalar, Schema, SetId, Struct, StructId, SubMessage,
};
pub use registry::{Listed, Source, SpecError, Specs};

#[cfg(test)]
mod tests;
