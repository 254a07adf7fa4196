//! The stamps a generation recorded, one per library file, as `stamps.bin` holds them and
//! read where they lie.
//!
//! Every search of a folder library checks each of them, so at 100k cases decoding them
//! into one `String` and struct per file was a fifth of a whole-process search (16 of about
//! 120 ms). Here the bytes are checked once, in one pass that allocates nothing, and a
//! stamp is then a fixed-width record plus a name borrowed from the buffer, already
//! NUL-terminated for the `fstatat` that looks it up.
//!
//! Layout, little-endian:
//! - the magic `duibst05`;
//! - the folder's metadata: a flag byte (1 when recorded), its size (u64), modification
//!   and status-change times (u128 nanoseconds) and inode (u64);
//! - the count (u64), then one record per stamp, in stat order (below): content hash
//!   (u128), size (u64), modification and status-change times (u64 nanoseconds, which last
//!   until the year 2554; a later time is stored as the largest and only ever makes a file
//!   look changed), inode (u64), and where its name ends in the names (u32);
//! - the name order: for each name in sorted order, the position of its record (u32);
//! - the names, in stat order, each followed by a NUL;
//! - last, the xxh3-128 of everything before it.
//!
//! Stat order is by recorded inode. The kernel then walks its inode and dentry caches in
//! about the order it filled them, and the check reads the records and names front to
//! back: at 100k files, `fstatat` in name order took 95 ms on two cores against 70 ms in
//! inode order (a C loop over the same folder), and the check's own reads of records in
//! any other order than they lie missed the cache on every file.

use std::ffi::CStr;

use super::source::{FileStamp, Listed};

const MAGIC: &[u8; 8] = b"duibst05";
const FOLDER_BYTES: usize = 1 + 8 + 16 + 16 + 8;
const RECORD_BYTES: usize = 16 + 8 + 8 + 8 + 8 + 4;
const SUM_BYTES: usize = 16;
const RECORDS_AT: usize = MAGIC.len() + FOLDER_BYTES + 8;

/// A generation's stamps, with the library folder's metadata: read in name order
/// ([`Stamps::get`], [`Stamps::iter`]) or in the order a check `stat`s them
/// ([`Stamps::in_stat_order`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamps {
    /// The encoded form, checked: every accessor below reads within it.
    bytes: Vec<u8>,
    folder: Option<Listed>,
    count: usize,
    /// Where the name order begins.
    by_name_at: usize,
    /// The names with their NULs, checked once as UTF-8: a stamp's name is then a slice,
    /// not a validation per file per check.
    names: Box<str>,
}

/// One stamp, borrowed from [`Stamps`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StampRef<'a> {
    pub name: &'a str,
    /// The name with its NUL, as a system call takes it.
    pub c_name: &'a CStr,
    pub hash: u128,
    pub len: u64,
    pub mtime_ns: u128,
    pub ctime_ns: u128,
    pub ino: u64,
}

impl StampRef<'_> {
    pub fn to_stamp(&self) -> FileStamp {
        FileStamp {
            name: self.name.to_string(),
            len: self.len,
            mtime_ns: self.mtime_ns,
            hash: self.hash,
            ctime_ns: self.ctime_ns,
            ino: self.ino,
        }
    }
}

impl Default for Stamps {
    fn default() -> Self {
        Stamps::new(None, &[])
    }
}

fn time_u64(ns: u128) -> u64 {
    u64::try_from(ns).unwrap_or(u64::MAX)
}

fn u32_of(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

impl Stamps {
    /// Encodes `stamps` (sorted by name, as a library lists them) and the folder's metadata.
    pub fn new(folder: Option<&Listed>, stamps: &[FileStamp]) -> Stamps {
        let mut stat_order: Vec<&FileStamp> = stamps.iter().collect();
        stat_order.sort_by_key(|s| s.ino);
        let names: usize = stamps.iter().map(|s| s.name.len() + 1).sum();
        let mut out =
            Vec::with_capacity(RECORDS_AT + stamps.len() * (RECORD_BYTES + 4) + names + SUM_BYTES);
        out.extend_from_slice(MAGIC);
        let none = Listed::default();
        out.push(u8::from(folder.is_some()));
        let f = folder.unwrap_or(&none);
        out.extend_from_slice(&f.len.to_le_bytes());
        out.extend_from_slice(&f.mtime_ns.to_le_bytes());
        out.extend_from_slice(&f.ctime_ns.to_le_bytes());
        out.extend_from_slice(&f.ino.to_le_bytes());
        out.extend_from_slice(&(stamps.len() as u64).to_le_bytes());
        let mut end = 0usize;
        for s in &stat_order {
            end += s.name.len();
            out.extend_from_slice(&s.hash.to_le_bytes());
            out.extend_from_slice(&s.len.to_le_bytes());
            out.extend_from_slice(&time_u64(s.mtime_ns).to_le_bytes());
            out.extend_from_slice(&time_u64(s.ctime_ns).to_le_bytes());
            out.extend_from_slice(&s.ino.to_le_bytes());
            // Names are file names a folder listed: far below 4 GiB in all.
            out.extend_from_slice(&u32_of(end).to_le_bytes());
            end += 1;
        }
        let mut by_name: Vec<u32> = (0..stat_order.len()).map(u32_of).collect();
        by_name.sort_by_key(|&k| stat_order.get(k as usize).map(|s| s.name.as_str()));
        for k in by_name {
            out.extend_from_slice(&k.to_le_bytes());
        }
        for s in &stat_order {
            out.extend_from_slice(s.name.as_bytes());
            out.push(0);
        }
        let sum = xxhash_rust::xxh3::xxh3_128(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        // What was just written reads back, unless a name held a NUL or the names passed
        // 4 GiB, which no folder listing gives: then the stamps are empty, and every
        // check finds the library changed.
        Stamps::from_bytes(out).unwrap_or_else(|| Stamps {
            bytes: Vec::new(),
            folder: None,
            count: 0,
            by_name_at: 0,
            names: Box::from(""),
        })
    }

    /// The stamps `bytes` hold, or `None` when they are not exactly what [`Stamps::new`]
    /// writes.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Stamps> {
        let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(SUM_BYTES)?)?;
        if xxhash_rust::xxh3::xxh3_128(body) != u128::from_le_bytes(sum.try_into().ok()?) {
            return None;
        }
        let r = body.strip_prefix(MAGIC)?;
        let (folder_bytes, r) = r.split_at_checked(FOLDER_BYTES)?;
        let folder = match folder_bytes[0] {
            0 => None,
            1 => Some(Listed {
                len: u64_at(folder_bytes, 1)?,
                mtime_ns: u128_at(folder_bytes, 9)?,
                ctime_ns: u128_at(folder_bytes, 25)?,
                ino: u64_at(folder_bytes, 41)?,
            }),
            _ => return None,
        };
        let count = usize::try_from(u64_at(r, 0)?).ok()?;
        let records = body
            .get(RECORDS_AT..)?
            .get(..count.checked_mul(RECORD_BYTES)?)?;
        let by_name_at = RECORDS_AT + records.len();
        let names_at = by_name_at.checked_add(count.checked_mul(4)?)?;
        // The name order holds every record once.
        let mut seen = vec![0u64; count.div_ceil(64)];
        for k in body.get(by_name_at..names_at)?.chunks_exact(4) {
            let k = u32::from_le_bytes(k.try_into().ok()?) as usize;
            let word = seen.get_mut(k / 64).filter(|_| k < count)?;
            if *word & (1 << (k % 64)) != 0 {
                return None;
            }
            *word |= 1 << (k % 64);
        }
        let names = body.get(names_at..)?;
        // One pass: each name ends, at a NUL, where the next begins, the last at the end;
        // with no other NUL and valid UTF-8 throughout, every name is whole.
        let mut start = 0usize;
        for rec in records.chunks_exact(RECORD_BYTES) {
            let end = u32::from_le_bytes(rec[RECORD_BYTES - 4..].try_into().ok()?) as usize;
            if end < start || names.get(end) != Some(&0) {
                return None;
            }
            start = end + 1;
        }
        if start != names.len() || names.iter().filter(|&&b| b == 0).count() != count {
            return None;
        }
        let names = Box::from(std::str::from_utf8(names).ok()?);
        Some(Stamps {
            folder,
            count,
            by_name_at,
            names,
            bytes,
        })
    }

    /// The encoded form, for `stamps.bin`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The library folder's metadata as the build began, when it was recorded.
    pub fn folder(&self) -> Option<Listed> {
        self.folder
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The `i`th stamp in name order.
    pub fn get(&self, i: usize) -> Option<StampRef<'_>> {
        let k =
            u32_at(&self.bytes, self.by_name_at + i.checked_mul(4)?).filter(|_| i < self.count)?;
        self.stored(k as usize)
    }

    /// The stamps in name order.
    pub fn iter(&self) -> impl Iterator<Item = StampRef<'_>> + '_ {
        (0..self.count).filter_map(|i| self.get(i))
    }

    /// The stamps in stat order (by recorded inode), as they lie.
    pub fn in_stat_order(&self) -> impl Iterator<Item = StampRef<'_>> + '_ {
        (0..self.count).filter_map(|k| self.stored(k))
    }

    /// The `k`th name in stat order with its NUL, as `fstatat` takes it.
    pub fn c_name_in_stat_order(&self, k: usize) -> Option<&CStr> {
        let (start, end) = self.name_span(k)?;
        CStr::from_bytes_with_nul(self.names.as_bytes().get(start..=end)?).ok()
    }

    /// The position in name order of the stamp named `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid)?.name.cmp(name) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    pub fn to_vec(&self) -> Vec<FileStamp> {
        self.iter().map(|s| s.to_stamp()).collect()
    }

    /// The `k`th stamp as stored (in stat order).
    fn stored(&self, k: usize) -> Option<StampRef<'_>> {
        let rec = self.record(k)?;
        let (start, end) = self.name_span(k)?;
        Some(StampRef {
            name: self.names.get(start..end)?,
            c_name: self.c_name_in_stat_order(k)?,
            hash: u128_at(rec, 0)?,
            len: u64_at(rec, 16)?,
            mtime_ns: u128::from(u64_at(rec, 24)?),
            ctime_ns: u128::from(u64_at(rec, 32)?),
            ino: u64_at(rec, 40)?,
        })
    }

    fn record(&self, k: usize) -> Option<&[u8]> {
        let at = RECORDS_AT + k.checked_mul(RECORD_BYTES)?;
        self.bytes
            .get(at..at + RECORD_BYTES)
            .filter(|_| k < self.count)
    }

    /// Where the `k`th stored name begins in the names, and where its NUL is.
    fn name_span(&self, k: usize) -> Option<(usize, usize)> {
        let end = u32_at(self.record(k)?, RECORD_BYTES - 4)? as usize;
        let start = match k {
            0 => 0,
            _ => u32_at(self.record(k - 1)?, RECORD_BYTES - 4)? as usize + 1,
        };
        Some((start, end))
    }
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn u128_at(b: &[u8], at: usize) -> Option<u128> {
    Some(u128::from_le_bytes(b.get(at..at + 16)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Listed, Vec<FileStamp>) {
        let stamps = vec![
            FileStamp {
                name: "a.md".into(),
                len: 3,
                mtime_ns: 1_700_000_000_123_456_789,
                hash: u128::MAX - 7,
                ctime_ns: 1_700_000_001_000_000_000,
                ino: 42,
            },
            FileStamp {
                name: "plan.yaml".into(),
                len: 0,
                mtime_ns: 0,
                hash: 0,
                ctime_ns: 0,
                ino: 0,
            },
            FileStamp {
                name: "青岛-口袋公园.md".into(),
                len: 9_000,
                mtime_ns: 5,
                hash: 0x0123_4567_89ab_cdef_0123_4567_89ab_cdef,
                ctime_ns: 6,
                ino: u64::MAX,
            },
        ];
        let folder = Listed {
            len: 4096,
            mtime_ns: 11,
            ctime_ns: 12,
            ino: 13,
        };
        (folder, stamps)
    }

    #[test]
    fn stamps_read_back_as_written_and_any_damage_is_refused() {
        let (folder, stamps) = sample();
        let table = Stamps::new(Some(&folder), &stamps);
        assert_eq!(table.to_vec(), stamps);
        assert_eq!(table.folder(), Some(folder));
        assert_eq!(
            table.get(2).unwrap().c_name.to_bytes(),
            stamps[2].name.as_bytes()
        );
        assert_eq!(table.get(3), None);
        let bytes = table.as_bytes().to_vec();
        assert_eq!(Stamps::from_bytes(bytes.clone()), Some(table));
        let empty = Stamps::new(None, &[]);
        assert_eq!(Stamps::from_bytes(empty.as_bytes().to_vec()), Some(empty));
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x20;
            assert_eq!(Stamps::from_bytes(damaged), None, "byte {i}");
        }
        assert_eq!(Stamps::from_bytes(bytes[..bytes.len() - 1].to_vec()), None);
        assert_eq!(Stamps::from_bytes(Vec::new()), None);
    }

    /// The checksum holds, but what it covers is not what `new` writes: a name running
    /// into the next, a NUL inside a name, names that are not UTF-8, a count past the end.
    #[test]
    fn well_summed_nonsense_is_refused() {
        let (folder, stamps) = sample();
        let good = Stamps::new(Some(&folder), &stamps).as_bytes().to_vec();
        let body_len = good.len() - SUM_BYTES;
        let resum = |mut body: Vec<u8>| {
            let sum = xxhash_rust::xxh3::xxh3_128(&body);
            body.extend_from_slice(&sum.to_le_bytes());
            body
        };
        let records_at = RECORDS_AT;
        let order_at = records_at + stamps.len() * RECORD_BYTES;
        let names_at = order_at + stamps.len() * 4;
        let end_of_first = records_at + RECORD_BYTES - 4;
        let mut moved_end = good[..body_len].to_vec();
        moved_end[end_of_first] += 1;
        let mut nul_inside = good[..body_len].to_vec();
        nul_inside[names_at + 1] = 0;
        let mut not_utf8 = good[..body_len].to_vec();
        not_utf8[names_at] = 0xff;
        let mut long_count = good[..body_len].to_vec();
        long_count[records_at - 8] = 200;
        let mut bad_flag = good[..body_len].to_vec();
        bad_flag[MAGIC.len()] = 2;
        // One position twice, another never.
        let mut twice = good[..body_len].to_vec();
        twice.copy_within(order_at..order_at + 4, order_at + 4);
        let mut past_end = good[..body_len].to_vec();
        past_end[order_at..order_at + 4].copy_from_slice(&3u32.to_le_bytes());
        for (what, body) in [
            ("moved end", moved_end),
            ("NUL inside", nul_inside),
            ("not UTF-8", not_utf8),
            ("count", long_count),
            ("flag", bad_flag),
            ("order twice", twice),
            ("order past the end", past_end),
        ] {
            assert_eq!(Stamps::from_bytes(resum(body)), None, "{what}");
        }
        assert!(Stamps::from_bytes(resum(good[..body_len].to_vec())).is_some());
    }

    #[test]
    fn names_are_found_by_position() {
        let (_, stamps) = sample();
        let table = Stamps::new(None, &stamps);
        for (i, s) in stamps.iter().enumerate() {
            assert_eq!(table.position(&s.name), Some(i));
        }
        assert_eq!(table.position("b.md"), None);
        assert_eq!(table.position(""), None);
        assert_eq!(table.get(3), None);
    }

    #[test]
    fn files_are_stated_in_inode_order() {
        let (_, stamps) = sample();
        let table = Stamps::new(None, &stamps);
        let by_inode: Vec<&str> = table.in_stat_order().map(|s| s.name).collect();
        assert_eq!(by_inode, ["plan.yaml", "a.md", "青岛-口袋公园.md"]);
        assert_eq!(
            table.c_name_in_stat_order(1).map(CStr::to_bytes),
            Some(&b"a.md"[..])
        );
        assert_eq!(table.c_name_in_stat_order(3), None);
        // Name order is as given.
        assert_eq!(table.to_vec(), stamps);
    }

    #[test]
    fn a_time_past_u64_makes_a_file_look_changed_not_equal() {
        let mut s = sample().1;
        s[0].mtime_ns = u128::from(u64::MAX) + 1;
        let table = Stamps::new(None, &s);
        assert_ne!(table.get(0).unwrap().mtime_ns, s[0].mtime_ns);
    }
}
