//! The store's index in pages, the oldest of them on disk: a deque of `T`
//! in pages of [`PAGE`] items where, past a number of pages held in memory,
//! the oldest full pages are written to an unnamed temporary file and read
//! back when an item of theirs is asked for. This is what keeps the
//! dashboard's memory flat whatever the size of the capture: a message's
//! metadata costs memory only while its page is resident.
//!
//! Pages, not one `VecDeque`: a deque doubles and copies as it grows, and
//! while it does it holds twice the items (gigabytes for a moment, on a
//! ten-million message file); pages grow without copying what they hold.
//!
//! Which pages may go is the owner's call ([`Paged::page_out`]): the store
//! pages out a message only once its bytes are on disk too, and a
//! transaction only once it is closed.
//!
//! The page file is private to the process (it has no name, and is gone
//! when the process is), so items are written in a process-local encoding
//! (bincode; names as their interned ids).

use std::collections::VecDeque;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Items a page holds.
pub const PAGE: usize = 16 * 1024;

/// Pushes after which a page found not pageable is tested again.
const RETRY_AFTER: u64 = 1024;

/// Pages read back and kept for the next reads: the list's rows, the
/// selected message and a transaction's request are seldom further apart.
const CACHED_PAGES: usize = 4;

enum Page<T> {
    Resident(VecDeque<T>),
    /// `len` items, encoded in `bytes` bytes at `offset` of the page file.
    OnDisk {
        offset: u64,
        bytes: u32,
        len: u32,
    },
}

/// See the module documentation.
pub struct Paged<T> {
    pages: VecDeque<Page<T>>,
    /// Number of `pages[0]` since the deque was created (pages are numbered
    /// to be found in the cache).
    first_page: u64,
    /// Items of `pages[0]` popped while it is on disk.
    front_skip: usize,
    len: usize,
    /// Full pages kept in memory at most; the oldest go to disk beyond.
    resident_limit: usize,
    resident: usize,
    /// Items pushed since the deque was created, and how many there must
    /// be before a page found not pageable is tested again (testing is a
    /// pass over the page).
    pushed: u64,
    retry_at: u64,
    disk: Option<PageFile>,
    cache: Mutex<Vec<(u64, Arc<Vec<T>>)>>,
}

struct PageFile {
    /// `None` when it could not be created (`error` says why).
    file: Option<File>,
    len: u64,
    /// Why the file could not be written or read, once it could not: no
    /// more pages go out, and pages that cannot be read back read as gone.
    error: Option<String>,
}

/// An item: in memory, or in a page read back from disk.
pub enum Item<'a, T> {
    Here(&'a T),
    Loaded(Arc<Vec<T>>, usize),
}

impl<T> std::ops::Deref for Item<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            Item::Here(item) => item,
            Item::Loaded(page, at) => &page[*at],
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Item<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl<T> Default for Paged<T> {
    fn default() -> Self {
        Paged::with_resident_pages(usize::MAX)
    }
}

impl<T> Paged<T> {
    /// A deque keeping at most `pages` full pages in memory (at least one).
    pub fn with_resident_pages(pages: usize) -> Paged<T> {
        Paged {
            pages: VecDeque::new(),
            first_page: 0,
            front_skip: 0,
            len: 0,
            resident_limit: pages.max(1),
            resident: 0,
            pushed: 0,
            retry_at: 0,
            disk: None,
            cache: Mutex::new(Vec::new()),
        }
    }

    /// A deque keeping about `bytes` of items in memory, each costing
    /// `item_cost` bytes (its size and what it owns on the heap).
    pub fn with_resident_bytes(bytes: u64, item_cost: usize) -> Paged<T> {
        let page_cost = (PAGE * item_cost.max(1)) as u64;
        Paged::with_resident_pages(usize::try_from(bytes / page_cost).unwrap_or(usize::MAX))
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Pages written to disk (and not popped since).
    pub fn pages_on_disk(&self) -> usize {
        self.pages.len() - self.resident
    }

    /// When more full pages are in memory than the limit: the index just
    /// past the oldest of them (what must be pageable for it to go).
    pub fn over_limit_end(&self) -> Option<usize> {
        if self.resident.saturating_sub(1) <= self.resident_limit {
            return None;
        }
        // Pages go oldest first, so those on disk are the first ones.
        let page = self.pages.len() - self.resident;
        Some(self.extent(0).0 + page * PAGE)
    }

    /// Why the page file failed, once it did.
    pub fn error(&self) -> Option<&str> {
        self.disk.as_ref()?.error.as_deref()
    }

    /// How many items `pages[index]` holds now, and the index in it of the
    /// first.
    fn extent(&self, index: usize) -> (usize, usize) {
        match &self.pages[index] {
            Page::Resident(items) => (items.len(), 0),
            Page::OnDisk { len, .. } if index == 0 => {
                (*len as usize - self.front_skip, self.front_skip)
            }
            Page::OnDisk { len, .. } => (*len as usize, 0),
        }
    }

    /// The page and the index in it of item `index`.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        if index >= self.len {
            return None;
        }
        let (first_len, skip) = self.extent(0);
        match index.checked_sub(first_len) {
            None => Some((0, skip + index)),
            Some(rest) => Some((1 + rest / PAGE, rest % PAGE)),
        }
    }

    pub fn push_back(&mut self, item: T) {
        match self.pages.back_mut() {
            Some(Page::Resident(last)) if last.len() < PAGE => last.push_back(item),
            _ => {
                let mut page = VecDeque::with_capacity(PAGE);
                page.push_back(item);
                self.pages.push_back(Page::Resident(page));
                self.resident += 1;
            }
        }
        self.len += 1;
        self.pushed += 1;
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        let (page, at) = self.locate(index)?;
        match &mut self.pages[page] {
            Page::Resident(items) => items.get_mut(at),
            Page::OnDisk { .. } => None,
        }
    }

    pub fn back(&self) -> Option<&T> {
        match self.pages.back()? {
            Page::Resident(items) => items.back(),
            Page::OnDisk { .. } => None,
        }
    }

    pub fn back_mut(&mut self) -> Option<&mut T> {
        match self.pages.back_mut()? {
            Page::Resident(items) => items.back_mut(),
            Page::OnDisk { .. } => None,
        }
    }
}

impl<T: Serialize + DeserializeOwned + Clone> Paged<T> {
    pub fn get(&self, index: usize) -> Option<Item<'_, T>> {
        let (page, at) = self.locate(index)?;
        match &self.pages[page] {
            Page::Resident(items) => items.get(at).map(Item::Here),
            Page::OnDisk { .. } => Some(Item::Loaded(self.load(page)?, at)),
        }
    }

    pub fn front(&self) -> Option<Item<'_, T>> {
        self.get(0)
    }

    pub fn pop_front(&mut self) -> Option<T> {
        let item = match self.pages.front_mut()? {
            Page::Resident(items) => {
                let item = items.pop_front()?;
                if items.is_empty() {
                    self.pages.pop_front();
                    self.first_page += 1;
                    self.resident -= 1;
                }
                item
            }
            Page::OnDisk { len, .. } => {
                let len = *len as usize;
                let page = self.load(0);
                let item = page.as_ref().map(|page| page[self.front_skip].clone());
                self.front_skip += 1;
                if self.front_skip == len {
                    self.pages.pop_front();
                    self.first_page += 1;
                    self.front_skip = 0;
                }
                self.len -= 1;
                // A page that cannot be read back is gone: its items are
                // popped without being seen.
                return item;
            }
        };
        self.len -= 1;
        Some(item)
    }

    /// Every item, oldest first; pages on disk are read back one at a time.
    pub fn iter(&self) -> Iter<'_, T> {
        self.iter_from(0)
    }

    /// The items from `index` on.
    pub fn iter_from(&self, index: usize) -> Iter<'_, T> {
        let (page, at) = self.locate(index).unwrap_or((self.pages.len(), 0));
        Iter {
            paged: self,
            page,
            at,
            loaded: None,
            left: self.len.saturating_sub(index),
        }
    }

    /// Writes the oldest full pages held in memory to disk while more than
    /// the limit are, each only if every item of it is `pageable`; stops at
    /// the first that is not, or when the disk cannot be written (then the
    /// pages stay in memory). A page found not pageable is tested again
    /// only after [`RETRY_AFTER`] more pushes.
    pub fn page_out(&mut self, pageable: impl Fn(&T) -> bool) {
        if self.pushed < self.retry_at {
            return;
        }
        // The last page is the one being filled: it is never paged out.
        while self.resident.saturating_sub(1) > self.resident_limit && self.error().is_none() {
            // Pages go oldest first, so those on disk are the first ones.
            let index = self.pages.len() - self.resident;
            let Page::Resident(items) = &self.pages[index] else {
                return;
            };
            if !items.iter().all(&pageable) {
                self.retry_at = self.pushed + RETRY_AFTER;
                return;
            }
            let len = items.len() as u32;
            let Some((offset, bytes)) = self.write_page(index) else {
                return;
            };
            self.pages[index] = Page::OnDisk { offset, bytes, len };
            self.resident -= 1;
        }
    }

    fn write_page(&mut self, index: usize) -> Option<(u64, u32)> {
        let Page::Resident(items) = &self.pages[index] else {
            return None;
        };
        let disk = match &mut self.disk {
            Some(disk) => disk,
            None => self.disk.insert(PageFile::create()),
        };
        let file = match (&disk.file, &disk.error) {
            (Some(file), None) => file,
            _ => return None,
        };
        let written = bincode::serialize(items)
            .map_err(|e| e.to_string())
            .and_then(|encoded| {
                let bytes = u32::try_from(encoded.len()).map_err(|e| e.to_string())?;
                file.write_all_at(&encoded, disk.len)
                    .map_err(|e| e.to_string())?;
                Ok(bytes)
            });
        match written {
            Ok(bytes) => {
                let offset = disk.len;
                disk.len += u64::from(bytes);
                Some((offset, bytes))
            }
            Err(error) => {
                disk.error = Some(format!("cannot write the index's page file: {error}"));
                None
            }
        }
    }

    /// The items of on-disk page `pages[index]`, from the cache or read
    /// back; `None` when they cannot be read.
    fn load(&self, index: usize) -> Option<Arc<Vec<T>>> {
        let Page::OnDisk { offset, bytes, .. } = self.pages[index] else {
            return None;
        };
        let number = self.first_page + index as u64;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = cache.iter().position(|(n, _)| *n == number) {
            let hit = cache.remove(at);
            cache.push(hit.clone());
            return Some(hit.1);
        }
        let file = self.disk.as_ref()?.file.as_ref()?;
        let mut encoded = vec![0; bytes as usize];
        file.read_exact_at(&mut encoded, offset).ok()?;
        let items: Arc<Vec<T>> = Arc::new(bincode::deserialize(&encoded).ok()?);
        if cache.len() == CACHED_PAGES {
            cache.remove(0);
        }
        cache.push((number, items.clone()));
        Some(items)
    }
}

impl PageFile {
    fn create() -> PageFile {
        let (file, error) = match tempfile::tempfile() {
            Ok(file) => (Some(file), None),
            Err(error) => (
                None,
                Some(format!("cannot create the index's page file: {error}")),
            ),
        };
        PageFile {
            file,
            len: 0,
            error,
        }
    }
}

/// [`Paged::iter`].
pub struct Iter<'a, T> {
    paged: &'a Paged<T>,
    page: usize,
    at: usize,
    loaded: Option<Arc<Vec<T>>>,
    left: usize,
}

impl<'a, T: Serialize + DeserializeOwned + Clone> Iterator for Iter<'a, T> {
    type Item = Item<'a, T>;
    fn next(&mut self) -> Option<Item<'a, T>> {
        while self.left > 0 {
            let page = self.paged.pages.get(self.page)?;
            let (len, skip) = self.paged.extent(self.page);
            if self.at >= skip + len {
                self.page += 1;
                self.at = 0;
                self.loaded = None;
                continue;
            }
            let at = self.at;
            self.at += 1;
            self.left -= 1;
            match page {
                Page::Resident(items) => return items.get(at).map(Item::Here),
                Page::OnDisk { .. } => {
                    if self.loaded.is_none() {
                        self.loaded = self.paged.load(self.page);
                    }
                    // A page that cannot be read back is skipped.
                    if let Some(loaded) = &self.loaded {
                        return Some(Item::Loaded(loaded.clone(), at));
                    }
                }
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values(paged: &Paged<u64>) -> Vec<u64> {
        paged.iter().map(|item| *item).collect()
    }

    #[test]
    fn pages_beyond_the_limit_go_to_disk_and_read_back() {
        let mut paged = Paged::with_resident_pages(2);
        for n in 0..(5 * PAGE + 3) as u64 {
            paged.push_back(n);
            paged.page_out(|_| true);
        }
        // Six pages: the last being filled, two full ones resident.
        assert_eq!(paged.pages_on_disk(), 3);
        assert_eq!(paged.len(), 5 * PAGE + 3);
        for index in [0, 1, PAGE - 1, PAGE, 3 * PAGE + 7, 5 * PAGE + 2] {
            assert_eq!(paged.get(index).map(|i| *i), Some(index as u64));
        }
        assert!(paged.get(5 * PAGE + 3).is_none());
        assert_eq!(
            values(&paged),
            (0..(5 * PAGE + 3) as u64).collect::<Vec<_>>()
        );
        assert_eq!(paged.error(), None);
    }

    #[test]
    fn a_page_not_pageable_stays_and_so_do_the_ones_after() {
        let mut paged = Paged::with_resident_pages(1);
        for n in 0..(4 * PAGE) as u64 {
            paged.push_back(n);
        }
        paged.page_out(|n| *n != 5);
        assert_eq!(paged.pages_on_disk(), 0);
        // Not tested again before more is pushed.
        paged.page_out(|_| true);
        assert_eq!(paged.pages_on_disk(), 0);
        for n in 0..RETRY_AFTER {
            paged.push_back(n);
        }
        paged.page_out(|_| true);
        // Five pages now: the one being filled and one full stay.
        assert_eq!(paged.pages_on_disk(), 3);
        assert!(paged.get_mut(0).is_none());
        assert!(paged.get_mut(3 * PAGE).is_some());
    }

    #[test]
    fn pages_that_cannot_be_written_stay_in_memory_and_say_why() {
        let mut paged = Paged::with_resident_pages(1);
        paged.disk = Some(PageFile {
            file: None,
            len: 0,
            error: Some("cannot create the index's page file: No space left on device".into()),
        });
        for n in 0..(4 * PAGE) as u64 {
            paged.push_back(n);
            paged.page_out(|_| true);
        }
        assert_eq!(paged.pages_on_disk(), 0);
        assert!(paged.error().unwrap().contains("No space left"));
        assert_eq!(values(&paged), (0..(4 * PAGE) as u64).collect::<Vec<_>>());
    }

    proptest! {
        /// Whatever is pushed, popped and paged, the deque reads as a
        /// `VecDeque` doing the same.
        #[test]
        fn the_deque_reads_as_a_vecdeque(
            steps in proptest::collection::vec((0usize..3 * PAGE, 0usize..PAGE, any::<bool>()), 1..8),
            limit in 1usize..3,
        ) {
            let mut paged = Paged::with_resident_pages(limit);
            let mut model = VecDeque::new();
            let mut next = 0u64;
            for (push, pop, page) in steps {
                for _ in 0..push {
                    paged.push_back(next);
                    model.push_back(next);
                    next += 1;
                }
                if page {
                    paged.page_out(|_| true);
                }
                for _ in 0..pop {
                    prop_assert_eq!(paged.pop_front(), model.pop_front());
                }
                prop_assert_eq!(paged.len(), model.len());
                prop_assert_eq!(paged.front().map(|i| *i), model.front().copied());
                prop_assert_eq!(paged.back().copied(), model.back().copied());
                let probe = model.len() / 2;
                prop_assert_eq!(paged.get(probe).map(|i| *i), model.get(probe).copied());
                let tail: Vec<u64> = paged.iter_from(probe).map(|i| *i).collect();
                prop_assert_eq!(tail, model.iter().skip(probe).copied().collect::<Vec<_>>());
            }
            prop_assert_eq!(values(&paged), model.into_iter().collect::<Vec<_>>());
        }
    }
}
