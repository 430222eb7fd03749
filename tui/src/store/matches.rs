//! Ascending sequence numbers kept as runs of consecutive ones: what the
//! filter matches, in memory that grows with the number of runs, not of
//! matches (with no filter, every message of a ten-million message file is
//! one run).

use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    start: u64,
    len: u64,
    /// Numbers pushed before this run, since the set was created.
    before: u64,
}

/// See the module documentation. Numbers are pushed ascending at the back
/// and popped at the front.
#[derive(Clone, Debug, Default)]
pub struct Matches {
    runs: VecDeque<Run>,
    pushed: u64,
    popped: u64,
}

impl Matches {
    pub fn len(&self) -> usize {
        (self.pushed - self.popped) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.pushed == self.popped
    }

    /// Adds `seq`, above every number held.
    pub fn push_back(&mut self, seq: u64) {
        match self.runs.back_mut() {
            Some(run) if run.start + run.len == seq => run.len += 1,
            Some(run) if run.start + run.len > seq => return,
            _ => self.runs.push_back(Run {
                start: seq,
                len: 1,
                before: self.pushed,
            }),
        }
        self.pushed += 1;
    }

    pub fn front(&self) -> Option<u64> {
        self.get(0)
    }

    pub fn pop_front(&mut self) -> Option<u64> {
        let first = self.front()?;
        self.popped += 1;
        if self
            .runs
            .front()
            .is_some_and(|run| run.before + run.len == self.popped)
        {
            self.runs.pop_front();
        }
        Some(first)
    }

    /// The `index`th number held, smallest first.
    pub fn get(&self, index: usize) -> Option<u64> {
        let absolute = self.popped.checked_add(index as u64)?;
        if absolute >= self.pushed {
            return None;
        }
        let at = self.runs.partition_point(|run| run.before <= absolute) - 1;
        let run = self.runs[at];
        Some(run.start + (absolute - run.before))
    }

    /// The index of `seq` if it is held, else of the first number above it.
    pub fn binary_search(&self, seq: u64) -> Result<usize, usize> {
        let after = self.runs.partition_point(|run| run.start <= seq);
        let Some(run) = after.checked_sub(1).map(|at| self.runs[at]) else {
            return Err(0);
        };
        let index = |absolute: u64| absolute.saturating_sub(self.popped) as usize;
        if seq < run.start + run.len {
            let absolute = run.before + (seq - run.start);
            if absolute < self.popped {
                return Err(0);
            }
            Ok(index(absolute))
        } else {
            Err(index(run.before + run.len))
        }
    }

    /// Every number held, smallest first.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        let popped = self.popped;
        self.runs.iter().flat_map(move |run| {
            let skip = popped.saturating_sub(run.before).min(run.len);
            run.start + skip..run.start + run.len
        })
    }

    /// The runs held, as ranges of numbers.
    pub fn runs(&self) -> impl Iterator<Item = std::ops::Range<u64>> + '_ {
        let popped = self.popped;
        self.runs.iter().map(move |run| {
            let skip = popped.saturating_sub(run.before).min(run.len);
            run.start + skip..run.start + run.len
        })
    }
}

impl FromIterator<u64> for Matches {
    fn from_iter<I: IntoIterator<Item = u64>>(seqs: I) -> Self {
        let mut matches = Matches::default();
        for seq in seqs {
            matches.push_back(seq);
        }
        matches
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Pushed and popped as a `VecDeque` of the same numbers is, it
        /// answers as the `VecDeque` does.
        #[test]
        fn matches_read_as_a_sorted_deque(
            steps in proptest::collection::vec((proptest::collection::vec(0u64..4, 0..40), 0usize..30), 1..10),
            probes in proptest::collection::vec(0u64..400, 8),
        ) {
            let mut matches = Matches::default();
            let mut model: VecDeque<u64> = VecDeque::new();
            let mut next = 0u64;
            for (gaps, pops) in steps {
                for gap in gaps {
                    next += gap;
                    matches.push_back(next);
                    if model.back() != Some(&next) {
                        model.push_back(next);
                    }
                    next += 1;
                }
                for _ in 0..pops {
                    prop_assert_eq!(matches.pop_front(), model.pop_front());
                }
                prop_assert_eq!(matches.len(), model.len());
                prop_assert_eq!(matches.front(), model.front().copied());
                for index in 0..=model.len() {
                    prop_assert_eq!(matches.get(index), model.get(index).copied());
                }
                for probe in &probes {
                    prop_assert_eq!(matches.binary_search(*probe), model.binary_search(probe));
                }
                prop_assert_eq!(matches.iter().collect::<Vec<_>>(), model.iter().copied().collect::<Vec<_>>());
                let from_runs: Vec<u64> = matches.runs().flatten().collect();
                prop_assert_eq!(from_runs, model.iter().copied().collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn every_message_matching_is_one_run() {
        let matches: Matches = (0..10_000_000).collect();
        assert_eq!(matches.runs.len(), 1);
        assert_eq!(matches.get(9_999_999), Some(9_999_999));
        assert_eq!(matches.binary_search(5), Ok(5));
    }
}
