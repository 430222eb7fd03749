//! The store's messages in fixed-size chunks: a deque that grows without
//! ever copying what it holds (a `VecDeque` doubles and copies, and while it
//! does, holds twice the messages in memory: on a 10-million message file
//! that is gigabytes for a moment).

use std::collections::VecDeque;

/// Messages a chunk holds.
const CHUNK: usize = 16 * 1024;

/// A deque of `T` in chunks of [`CHUNK`]: every chunk but the first and
/// the last is full; items are pushed at the back and popped at the front.
#[derive(Debug)]
pub struct Chunked<T> {
    chunks: VecDeque<VecDeque<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: VecDeque::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push_back(&mut self, item: T) {
        match self.chunks.back_mut() {
            Some(last) if last.len() < CHUNK => last.push_back(item),
            _ => {
                let mut chunk = VecDeque::with_capacity(CHUNK);
                chunk.push_back(item);
                self.chunks.push_back(chunk);
            }
        }
        self.len += 1;
    }

    pub fn pop_front(&mut self) -> Option<T> {
        let first = self.chunks.front_mut()?;
        let item = first.pop_front()?;
        if first.is_empty() {
            self.chunks.pop_front();
        }
        self.len -= 1;
        Some(item)
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        let first = self.chunks.front()?;
        match index.checked_sub(first.len()) {
            None => first.get(index),
            Some(rest) => self.chunks.get(1 + rest / CHUNK)?.get(rest % CHUNK),
        }
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        let first = self.chunks.front()?.len();
        match index.checked_sub(first) {
            None => self.chunks.front_mut()?.get_mut(index),
            Some(rest) => self.chunks.get_mut(1 + rest / CHUNK)?.get_mut(rest % CHUNK),
        }
    }

    pub fn front(&self) -> Option<&T> {
        self.chunks.front()?.front()
    }

    pub fn back(&self) -> Option<&T> {
        self.chunks.back()?.back()
    }

    pub fn back_mut(&mut self) -> Option<&mut T> {
        self.chunks.back_mut()?.back_mut()
    }

    /// Every item, oldest first.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter {
            items: self.chunks.iter().flatten(),
            left: self.len,
        }
    }
}

impl<T: Ord> Chunked<T> {
    /// As [`VecDeque::binary_search`], the items being sorted.
    pub fn binary_search(&self, item: &T) -> Result<usize, usize> {
        let (mut low, mut high) = (0, self.len);
        while low < high {
            let middle = low + (high - low) / 2;
            match self.get(middle).map(|at| at.cmp(item)) {
                Some(std::cmp::Ordering::Less) => low = middle + 1,
                Some(std::cmp::Ordering::Equal) => return Ok(middle),
                _ => high = middle,
            }
        }
        Err(low)
    }
}

impl<T> FromIterator<T> for Chunked<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut deque = Chunked::default();
        for item in items {
            deque.push_back(item);
        }
        deque
    }
}

/// [`Chunked::iter`]: the chunks' items in order, and how many are left.
pub struct Iter<'a, T> {
    items: std::iter::Flatten<std::collections::vec_deque::Iter<'a, VecDeque<T>>>,
    left: usize,
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;
    fn next(&mut self) -> Option<&'a T> {
        let item = self.items.next()?;
        self.left -= 1;
        Some(item)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T> DoubleEndedIterator for Iter<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let item = self.items.next_back()?;
        self.left -= 1;
        Some(item)
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_found_by_index_through_pushes_and_pops() {
        let mut deque = Chunked::default();
        for n in 0..3 * CHUNK + 5 {
            deque.push_back(n);
        }
        for _ in 0..CHUNK + 7 {
            deque.pop_front();
        }
        let first = CHUNK + 7;
        assert_eq!(deque.len(), 3 * CHUNK + 5 - first);
        for index in [0, 1, CHUNK - 8, CHUNK - 7, CHUNK, 2 * CHUNK - 3] {
            assert_eq!(deque.get(index), Some(&(first + index)));
        }
        assert_eq!(deque.get(deque.len()), None);
        assert_eq!(deque.front(), Some(&first));
        assert_eq!(deque.back(), Some(&(3 * CHUNK + 4)));
        let all: Vec<usize> = deque.iter().copied().collect();
        assert_eq!(all, (first..3 * CHUNK + 5).collect::<Vec<_>>());
        assert_eq!(deque.iter().len(), deque.len());
        assert_eq!(deque.iter().next_back(), deque.back());
        assert_eq!(deque.binary_search(&(first + CHUNK)), Ok(CHUNK));
        assert_eq!(deque.binary_search(&0), Err(0));
        assert_eq!(deque.binary_search(&usize::MAX), Err(deque.len()));
        while deque.pop_front().is_some() {}
        assert!(deque.is_empty() && deque.get(0).is_none());
    }
}
