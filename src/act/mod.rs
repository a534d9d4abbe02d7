//! Acting on a verdict: forward to the unit's PICs, acknowledge the sender, file the original.

pub mod compose;
pub mod send;
pub mod template;
