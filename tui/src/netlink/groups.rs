//! Multicast group numbers and the bitmaps that carry them. Group numbers
//! are 1-based, as in `NETLINK_ADD_MEMBERSHIP` and `dst_group`: bit `n-1` of
//! a bitmap is group `n`.

/// Group numbers set in a 32-bit mask (`/proc/net/netlink`'s Groups column,
/// `nl_groups` of a bind): bit `n-1` is group `n`.
pub fn groups_from_mask32(mask: u32) -> Vec<u32> {
    (0..32)
        .filter(|bit| mask & (1 << bit) != 0)
        .map(|bit| bit + 1)
        .collect()
}

/// Group numbers set in a kernel group bitmap (`NETLINK_DIAG_GROUPS`: an
/// array of `unsigned long` in host byte order). `word` is the size of one
/// word (`size_of::<c_ulong>()` for the running kernel); a trailing partial
/// word is read as far as it goes.
pub fn groups_from_bitmap(bytes: &[u8], word: usize) -> Vec<u32> {
    let word = word.clamp(1, 8);
    let mut groups = Vec::new();
    for (index, chunk) in bytes.chunks(word).enumerate() {
        let mut buf = [0u8; 8];
        let value = if cfg!(target_endian = "little") {
            buf[..chunk.len()].copy_from_slice(chunk);
            u64::from_le_bytes(buf)
        } else {
            buf[8 - chunk.len()..].copy_from_slice(chunk);
            u64::from_be_bytes(buf)
        };
        for bit in 0..(word as u64 * 8) {
            if value & (1u64 << bit) != 0 {
                let number = index as u64 * word as u64 * 8 + bit + 1;
                if let Ok(number) = u32::try_from(number) {
                    groups.push(number);
                }
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mask32_bits_map_to_groups() {
        assert_eq!(groups_from_mask32(0), Vec::<u32>::new());
        assert_eq!(groups_from_mask32(0x11), vec![1, 5]);
        assert_eq!(groups_from_mask32(0x8000_0000), vec![32]);
    }

    #[test]
    fn bitmap_above_32_groups() {
        // Groups 1, 5 and 33 (bit 32, second 32-bit half of the first u64).
        let word: u64 = (1 << 0) | (1 << 4) | (1 << 32);
        let bytes = word.to_ne_bytes();
        assert_eq!(groups_from_bitmap(&bytes, 8), vec![1, 5, 33]);
        // Group 65 lives in the second word.
        let mut two = Vec::from(0u64.to_ne_bytes());
        two.extend_from_slice(&1u64.to_ne_bytes());
        assert_eq!(groups_from_bitmap(&two, 8), vec![65]);
    }

    proptest! {
        #[test]
        fn bitmap_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64),
                                      word in 0usize..16) {
            let groups = groups_from_bitmap(&bytes, word);
            let ones: u32 = bytes.iter().map(|b| b.count_ones()).sum();
            prop_assert_eq!(groups.len() as u32, ones);
            prop_assert!(groups.windows(2).all(|w| w[0] < w[1]));
        }

        #[test]
        fn mask32_round_trips(mask in any::<u32>()) {
            let back = groups_from_mask32(mask)
                .iter()
                .fold(0u32, |m, g| m | 1 << (g - 1));
            prop_assert_eq!(back, mask);
        }
    }
}
