//! QEMU guest harness (see README).
