//! `file:<directory>`: the processes of one host share each account's login through one file.
//!
//! - `<dir>/<entry key>.token`: the sealed record, mode 0600, replaced atomically (written to
//!   a temporary file in the same directory, then renamed over it).
//! - `<dir>/<entry key>.lock`: an OS file lock, taken only while a login runs, so that
//!   processes starting together make one login and the others read its result. The OS
//!   releases it when its holder exits, however it ends. It is a POSIX record lock
//!   (`fcntl(F_SETLK)`), which a forked child does not inherit (a `flock` would stay held by
//!   a child forked during a login for the child's whole life), behind a table of this
//!   process's own holders (record locks do not exclude each other within one process).
//! - The directory is made with mode 0700; one that is not ours or that other users can write
//!   to is refused (they could swap records or locks), which makes the session log in by
//!   itself.
//!
//! Blocking faces do this I/O on the calling thread; async faces on tokio's blocking pool.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::{BoxFuture, FutureExt};

use super::seal::MAX_RECORD;
use super::{bad_url, Io, StoreLock, TokenStore, LOCK_POLL};
use crate::error::Result;

/// The directory of a `file:` URL (`file:/dir`, `file:///dir`, `file://localhost/dir`,
/// `file:relative/dir` — relative to the working directory when the store is made).
pub(crate) fn parse(url: &str, rest: &str) -> Result<PathBuf> {
    let path = match rest.strip_prefix("//") {
        Some(after) if after.starts_with('/') => after,
        Some(after) => match after.strip_prefix("localhost") {
            Some(p) if p.starts_with('/') => p,
            _ => return Err(bad_url(url, "a file: URL names no other host")),
        },
        None => rest,
    };
    if path.is_empty() {
        return Err(bad_url(
            url,
            "`file:` needs a directory, e.g. file:/var/cache/xpay",
        ));
    }
    if path.contains('\0') {
        return Err(bad_url(url, "the directory contains a NUL character"));
    }
    let path = PathBuf::from(path);
    if path.is_absolute() {
        return Ok(path);
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(&path))
        .map_err(|e| bad_url(url, &format!("the working directory is unknown: {e}")))
}

/// The file store of one directory.
#[derive(Clone)]
pub(crate) struct FileStore {
    dir: Arc<PathBuf>,
}

impl FileStore {
    pub(crate) fn new(dir: PathBuf) -> FileStore {
        FileStore { dir: Arc::new(dir) }
    }

    fn path(&self, key: &str, suffix: &str) -> PathBuf {
        self.dir.join(format!("{key}.{suffix}"))
    }
}

/// Makes the directory (0700) if missing and checks that only we can write to it.
fn safe_dir(dir: &Path) -> io::Result<()> {
    if let Some(parent) = dir.parent() {
        if !parent.as_os_str().is_empty() && !parent.exists() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)?;
        }
    }
    match DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = fs::metadata(dir)?;
    if !meta.is_dir() {
        return Err(io::Error::other(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} belongs to another user (uid {})",
                dir.display(),
                meta.uid()
            ),
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} can be written by other users (mode {:o}): use a directory only you can \
                 write (0700)",
                dir.display(),
                meta.mode() & 0o7777
            ),
        ));
    }
    Ok(())
}

fn read_record(dir: &Path, path: &Path) -> io::Result<Option<Vec<u8>>> {
    safe_dir(dir)?;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path);
    let file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        // A symlink planted where the record goes (ELOOP) or anything else unreadable: not
        // a record; the next save replaces it.
        Err(_) => return Ok(None),
    };
    let meta = file.metadata()?;
    // SAFETY: as above.
    if !meta.is_file() || meta.uid() != unsafe { libc::geteuid() } {
        return Ok(None);
    }
    let mut record = Vec::new();
    file.take(MAX_RECORD as u64 + 1).read_to_end(&mut record)?;
    Ok(Some(record))
}

fn write_record(dir: &Path, path: &Path, record: &[u8]) -> io::Result<()> {
    safe_dir(dir)?;
    let temp = dir.join(format!(
        ".{}.{}.{:016x}.tmp",
        path.file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("record"),
        std::process::id(),
        rand::random::<u64>()
    ));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&temp)?;
        file.write_all(record)?;
        drop(file);
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

fn open_lock(dir: &Path, path: &Path) -> io::Result<File> {
    safe_dir(dir)?;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// The lock files this process holds (or is taking) a login lock on, with the pid that took
/// it: a forked child finds its parent's entries and drops them (it holds none of those
/// locks).
static HELD: Mutex<Vec<(PathBuf, u32)>> = Mutex::new(Vec::new());

fn held() -> std::sync::MutexGuard<'static, Vec<(PathBuf, u32)>> {
    HELD.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One try at the login lock of `path`: `Some(file)` holding it, `None` when another session
/// of this process or another process holds it.
fn try_lock(dir: &Path, path: &Path) -> io::Result<Option<Flock>> {
    let pid = std::process::id();
    {
        let mut held = held();
        held.retain(|(_, owner)| *owner == pid);
        if held.iter().any(|(p, _)| p == path) {
            return Ok(None);
        }
        held.push((path.to_owned(), pid));
    }
    // From here the entry is ours; Flock's drop removes it (and closes the file while it is
    // still ours: closing any descriptor of the file would drop this process's record lock).
    let mut lock = Flock {
        file: None,
        path: path.to_owned(),
    };
    let file = open_lock(dir, path)?;
    // SAFETY: flock is plain data; the descriptor is open for the call's duration.
    let mut range: libc::flock = unsafe { std::mem::zeroed() };
    range.l_type = libc::F_WRLCK as libc::c_short;
    range.l_whence = libc::SEEK_SET as libc::c_short;
    loop {
        // SAFETY: as above; F_SETLK never blocks.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &range) } == 0 {
            lock.file = Some(file);
            return Ok(Some(lock));
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EAGAIN | libc::EACCES) => return Ok(None),
            Some(libc::EINTR) => continue,
            _ => return Err(e),
        }
    }
}

impl TokenStore for FileStore {
    fn load<'a>(&'a self, key: &'a str, io: Io) -> BoxFuture<'a, io::Result<Option<Vec<u8>>>> {
        let dir = self.dir.clone();
        let path = self.path(key, "token");
        async move { io.run_blocking(move || read_record(&dir, &path)).await? }.boxed()
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        record: Vec<u8>,
        _ttl: Duration,
        io: Io,
    ) -> BoxFuture<'a, io::Result<()>> {
        let dir = self.dir.clone();
        let path = self.path(key, "token");
        async move {
            io.run_blocking(move || write_record(&dir, &path, &record))
                .await?
        }
        .boxed()
    }

    fn lock<'a>(
        &'a self,
        key: &'a str,
        _hold: Duration,
        deadline: Instant,
        io: Io,
    ) -> BoxFuture<'a, io::Result<Option<Box<dyn StoreLock>>>> {
        let dir = self.dir.clone();
        let path = self.path(key, "lock");
        async move {
            let lock = io
                .poll_until(deadline, LOCK_POLL, || {
                    let (d, p) = (dir.clone(), path.clone());
                    async move { io.run_blocking(move || try_lock(&d, &p)).await? }
                })
                .await?;
            Ok(lock.map(|lock| Box::new(lock) as Box<dyn StoreLock>))
        }
        .boxed()
    }

    fn describe(&self) -> String {
        format!("file:{}", self.dir.display())
    }
}

/// The held lock: closing the file releases it, then this process's entry goes.
struct Flock {
    file: Option<File>,
    path: PathBuf,
}

impl Drop for Flock {
    fn drop(&mut self) {
        drop(self.file.take());
        let pid = std::process::id();
        held().retain(|(p, owner)| !(*owner == pid && *p == self.path));
    }
}

impl StoreLock for Flock {
    fn release(self: Box<Self>, _io: Io) -> BoxFuture<'static, io::Result<()>> {
        drop(self);
        async { Ok(()) }.boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "xpay-file-store-{name}-{}-{:x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        DirBuilder::new().mode(0o700).create(&dir).unwrap();
        dir
    }

    #[test]
    fn one_holder_at_a_time_within_a_process() {
        let dir = temp_dir("local");
        let path = dir.join("k.lock");
        let first = try_lock(&dir, &path).unwrap().expect("free");
        assert!(try_lock(&dir, &path).unwrap().is_none());
        drop(first);
        assert!(try_lock(&dir, &path).unwrap().is_some());
        let _ = fs::remove_dir_all(&dir);
    }

    /// A child forked while the parent holds the lock does not keep it: once the parent lets
    /// go, another process takes it although the child still lives.
    #[test]
    fn a_forked_child_does_not_inherit_the_lock() {
        let dir = temp_dir("fork");
        let path = dir.join("k.lock");
        let held = try_lock(&dir, &path).unwrap().expect("free");
        let mut pipe = [0; 2];
        // SAFETY: plain syscalls; the children only read, try the lock and _exit.
        unsafe {
            assert_eq!(libc::pipe(pipe.as_mut_ptr()), 0);
            let sleeper = libc::fork();
            if sleeper == 0 {
                // Never outlive the test by long, whatever happens to the parent.
                libc::alarm(20);
                libc::close(pipe[1]);
                let mut b = [0u8; 1];
                libc::read(pipe[0], b.as_mut_ptr().cast(), 1);
                libc::_exit(0);
            }
            drop(held);
            let taker = libc::fork();
            if taker == 0 {
                libc::alarm(20);
                let got = matches!(try_lock(&dir, &path), Ok(Some(_)));
                libc::_exit(if got { 0 } else { 1 });
            }
            let mut status = 0;
            libc::waitpid(taker, &mut status, 0);
            libc::close(pipe[1]);
            libc::waitpid(sleeper, std::ptr::null_mut(), 0);
            libc::close(pipe[0]);
            assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_directory_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("open");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        let e = safe_dir(&dir).unwrap_err();
        assert!(e.to_string().contains("other users"), "{e}");
        let store = FileStore::new(dir.clone());
        let saved =
            crate::runtime::block_on(store.save("k", b"x".to_vec(), Duration::ZERO, Io::Blocking))
                .unwrap();
        assert!(saved.is_err());
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn records_are_0600_and_replaced_atomically() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("atomic").join("sub");
        let store = FileStore::new(dir.clone());
        let run = |f: BoxFuture<'_, io::Result<()>>| crate::runtime::block_on(f).unwrap();
        run(store.save("k", b"one".to_vec(), Duration::ZERO, Io::Blocking)).unwrap();
        run(store.save("k", b"two".to_vec(), Duration::ZERO, Io::Blocking)).unwrap();
        let got = crate::runtime::block_on(store.load("k", Io::Blocking))
            .unwrap()
            .unwrap();
        assert_eq!(got.as_deref(), Some(&b"two"[..]));
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("k.token")), 0o600);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        let _ = fs::remove_dir_all(dir.parent().unwrap());
    }
}
