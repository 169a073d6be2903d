//! Outputs: standard output, or a file that is never left partial or clobbered.
//!
//! Where `-o PATH` leads decides how it is written ([`Plan`]):
//! - a regular file (existing or new) is written to a temporary file in its directory and
//!   renamed over it only by [`Output::commit`]; dropping an uncommitted output, a failure or a
//!   signal (SIGINT, SIGTERM, SIGHUP, see [`remove_temp_files_on_signals`]) removes the
//!   temporary file and leaves any existing file byte-identical;
//! - a symlink is followed: the temporary file goes beside its final target, which is replaced,
//!   so the link itself is kept;
//! - a character device (`/dev/null`, `/dev/full`, a terminal) or a FIFO is written through in
//!   place: it cannot be replaced atomically, and replacing it would destroy it;
//! - block devices, sockets and directories are refused.
//!
//! An output that is the same file as one of the command's inputs (any spelling, symlink or
//! hard link) is refused before any work is done.
//!
//! A data output ([`Output::create_data`], predict's `-o`) whose name ends in `.gz` or `.zst`
//! is compressed on the way out ([`super::compress::Encoder`]); the stream is finished by
//! [`Output::commit`], so an interrupted run leaves no truncated archive behind either.

use std::fs::{self, File, Metadata};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::compress::{Codec, Encoder};
use crate::console::STDOUT_NAME;
use crate::error::{Error, Result};

/// Checks that `path` can become an output (see the module documentation). Commands call this
/// before doing any work, so a bad `-o` fails fast.
pub fn check_destination(path: &str, inputs: &[&str]) -> Result<()> {
    plan(path, inputs).map(|_| ())
}

/// How an output path is written.
#[derive(Debug, PartialEq)]
enum Plan {
    Stdout,
    /// An existing character device or FIFO, opened and written in place.
    Direct(PathBuf),
    /// A regular file at `target` (symlinks resolved), replaced through a temporary file in `dir`.
    Replace {
        target: PathBuf,
        dir: PathBuf,
    },
}

fn plan(path: &str, inputs: &[&str]) -> Result<Plan> {
    if path == "-" {
        return Ok(Plan::Stdout);
    }
    if path.is_empty() {
        return Err(Error::Usage(
            "the output path is empty; name a file, or - for standard output".into(),
        ));
    }
    let refuse = |why: String| Error::io(path, "write it", io::Error::other(why));
    if path.ends_with('/') || path.ends_with(std::path::MAIN_SEPARATOR) {
        return Err(refuse(
            "the name ends with a slash, so it names a directory".into(),
        ));
    }
    let p = Path::new(path);
    let plan = match fs::metadata(p) {
        Ok(meta) if meta.is_dir() => return Err(refuse("it is a directory".into())),
        Ok(meta) if meta.is_file() => {
            // canonicalize follows every link; fall back to the name for exotic file systems.
            let target = fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
            refuse_inputs(path, &meta, inputs)?;
            Plan::Replace {
                dir: parent(&target),
                target,
            }
        }
        Ok(meta) => {
            if let Some(kind) = refused_kind(&meta) {
                return Err(refuse(format!(
                    "it is a {kind}; logit writes regular files, character devices and FIFOs"
                )));
            }
            refuse_inputs(path, &meta, inputs)?;
            Plan::Direct(p.to_path_buf())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // A new file, or a symlink whose target does not exist yet: create the target.
            let target = final_target(p).map_err(|e| Error::io(path, "write it", e))?;
            let dir = parent(&target);
            if !dir.is_dir() {
                return Err(refuse(format!(
                    "directory {} does not exist",
                    dir.display()
                )));
            }
            Plan::Replace { target, dir }
        }
        Err(e) => return Err(Error::io(path, "write it", e)),
    };
    Ok(plan)
}

/// The directory a temporary file for `target` goes in.
fn parent(target: &Path) -> PathBuf {
    match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Follows `path` through symlinks that may end at a name that does not exist yet.
fn final_target(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    // The kernel's limit (MAXSYMLINKS) on Linux.
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if !link.is_absolute() && !dir.as_os_str().is_empty() => {
                        dir.join(link)
                    }
                    _ => link,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// Kinds of existing non-regular files that are not written: a block device (a disk) or a socket.
#[cfg(unix)]
fn refused_kind(meta: &Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_block_device() {
        Some("block device")
    } else if t.is_socket() {
        Some("socket")
    } else {
        None
    }
}

#[cfg(not(unix))]
fn refused_kind(_meta: &Metadata) -> Option<&'static str> {
    Some("special file")
}

/// Refuses an output that is the same file as an input. Character devices are exempt
/// (`/dev/null` may be both); files are compared by device and inode, so any spelling, symlink
/// or hard link is caught.
fn refuse_inputs(path: &str, out: &Metadata, inputs: &[&str]) -> Result<()> {
    if is_char_device(out) {
        return Ok(());
    }
    for input in inputs {
        // Standard input is the file behind descriptor 0 (Linux and most unixes have /dev/stdin).
        let name = if *input == "-" { "/dev/stdin" } else { input };
        if let Ok(meta) = fs::metadata(name) {
            if same_file(out, &meta) {
                return Err(Error::Usage(format!(
                    "output {path:?} is the same file as input {input:?}; writing it would destroy the input"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_char_device(meta: &Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    meta.file_type().is_char_device()
}

#[cfg(not(unix))]
fn is_char_device(_meta: &Metadata) -> bool {
    false
}

#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_a: &Metadata, _b: &Metadata) -> bool {
    false
}

/// Temporary files being written, removed by the signal handler. Held while a temporary file is
/// created, renamed or removed, so a signal never races a rename.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Adds `path` to the files the signal handler removes (a file written outside [`Output`]:
/// the out-of-core row cache, `data::cache`).
pub fn remember_temp_file(path: &Path) {
    live().push(path.to_path_buf());
}

/// Takes `path` back out of the files the signal handler removes (removed or kept).
pub fn forget_temp_file(path: &Path) {
    live().retain(|p| p != path);
}

/// Starts a thread that, on SIGINT, SIGTERM or SIGHUP, removes every live temporary output file
/// and exits with 128 + the signal number (130 for SIGINT), as a shell reports a killed job.
/// Any existing file being replaced is left as it was. Called once, by the binary.
pub fn remove_temp_files_on_signals() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return; // Without the handler a signal still ends the process, as before.
        };
        let _ = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    // The guard is kept until exit: no rename can start after the removal.
                    let live = live();
                    for path in live.iter() {
                        let _ = fs::remove_file(path);
                    }
                    std::process::exit(128 + signal);
                }
            });
    }
}

/// A destination being written: standard output, a device or FIFO written in place, or a
/// temporary file that becomes the target on [`Output::commit`].
pub struct Output {
    target: Target,
    /// Set for a compressed data output: writes go through it to `target`.
    encoder: Option<Encoder>,
}

/// Compressed bytes gathered before they are passed on to the target.
const COMPRESSED_CHUNK: usize = 1 << 16;

enum Target {
    Stdout(BufWriter<io::Stdout>),
    Direct {
        path: String,
        file: BufWriter<File>,
    },
    Replace {
        path: String,
        target: PathBuf,
        temp: Option<BufWriter<tempfile::NamedTempFile>>,
    },
}

impl Output {
    /// Prepares to write `path` (`-` is standard output). Fails before any work is done when
    /// the directory is missing or the path is one of `inputs` (which the output would destroy).
    pub fn create(path: &str, inputs: &[&str]) -> Result<Output> {
        const BUFFER: usize = 1 << 16;
        let target = match plan(path, inputs)? {
            Plan::Stdout => Target::Stdout(BufWriter::with_capacity(BUFFER, io::stdout())),
            Plan::Direct(device) => {
                let file = fs::OpenOptions::new()
                    .write(true)
                    .open(&device)
                    .map_err(|e| Error::io(path, "open it for writing", e))?;
                Target::Direct {
                    path: path.to_string(),
                    file: BufWriter::with_capacity(BUFFER, file),
                }
            }
            Plan::Replace { target, dir } => {
                let mut live = live();
                let temp = tempfile::Builder::new()
                    .prefix(".logit-")
                    .suffix(".tmp")
                    .tempfile_in(&dir)
                    .map_err(|e| Error::io(path, "create a temporary file beside it", e))?;
                live.push(temp.path().to_path_buf());
                Target::Replace {
                    path: path.to_string(),
                    target,
                    temp: Some(BufWriter::with_capacity(BUFFER, temp)),
                }
            }
        };
        Ok(Output {
            target,
            encoder: None,
        })
    }

    /// [`Output::create`] for a data file: gzip when `path` ends in `.gz`, zstd when it ends in
    /// `.zst` or `.zstd` (any letter case), otherwise plain. Standard output is never
    /// compressed (pipe it through a compressor).
    pub fn create_data(path: &str, inputs: &[&str]) -> Result<Output> {
        let mut out = Output::create(path, inputs)?;
        if let (Some(codec), false) = (Codec::for_output(path), path == "-") {
            out.encoder =
                Some(Encoder::new(codec).map_err(|e| Error::io(path, "set up its compressor", e))?);
        }
        Ok(out)
    }

    /// Passes the encoder's compressed bytes on to the target (all of them when `all`, else
    /// once a chunk has gathered).
    fn drain(&mut self, all: bool) -> io::Result<()> {
        let Some(encoder) = &mut self.encoder else {
            return Ok(());
        };
        let pending = encoder.pending();
        if pending.is_empty() || (!all && pending.len() < COMPRESSED_CHUNK) {
            return Ok(());
        }
        let result = raw_write_all(&mut self.target, pending);
        pending.clear();
        result
    }

    /// Ends a compressed stream (its trailer written to the target); nothing for plain output.
    fn finish_encoder(&mut self) -> io::Result<()> {
        match &mut self.encoder {
            Some(encoder) if !encoder.is_finished() => {
                encoder.finish()?;
                self.drain(true)
            }
            _ => Ok(()),
        }
    }

    /// The name shown in messages.
    pub fn name(&self) -> &str {
        match &self.target {
            Target::Stdout(_) => STDOUT_NAME,
            Target::Direct { path, .. } | Target::Replace { path, .. } => path,
        }
    }

    /// Flushes and, for a regular file, renames the temporary file over the target (atomic on
    /// one file system). An existing file's permissions are kept; a new file gets 0644 (less
    /// umask is not applied by tempfile, which creates 0600).
    pub fn commit(mut self) -> Result<()> {
        if let Err(e) = self.finish_encoder() {
            let name = self.name().to_string();
            return Err(Error::io(&name, "write it", e));
        }
        match &mut self.target {
            Target::Stdout(w) => w.flush().map_err(|e| Error::io(STDOUT_NAME, "write it", e)),
            Target::Direct { path, file } => {
                file.flush().map_err(|e| Error::io(path, "write it", e))
            }
            Target::Replace { path, target, temp } => {
                let Some(writer) = temp.take() else {
                    return Ok(());
                };
                let temp_path = writer.get_ref().path().to_path_buf();
                let unregister = || live().retain(|p| p != &temp_path);
                // On every error below, tempfile removes the file as the error is dropped.
                let temp = writer.into_inner().map_err(|e| {
                    unregister();
                    Error::io(path, "write it", e.into_error())
                })?;
                if let Err(e) = temp.as_file().sync_all() {
                    unregister();
                    return Err(Error::io(path, "write it", e));
                }
                set_permissions(&temp_path, target);
                let mut live = live();
                live.retain(|p| p != &temp_path);
                temp.persist(&*target)
                    .map_err(|e| Error::io(path, "replace it", e.error))?;
                Ok(())
            }
        }
    }
}

impl Drop for Output {
    /// An uncommitted temporary file is removed under the registry's lock (tempfile would
    /// remove it too, but only after it had left the registry).
    fn drop(&mut self) {
        if let Target::Replace {
            temp: Some(writer), ..
        } = &self.target
        {
            let mut live = live();
            let temp_path = writer.get_ref().path().to_path_buf();
            let _ = fs::remove_file(&temp_path);
            live.retain(|p| p != &temp_path);
        }
    }
}

#[cfg(unix)]
fn set_permissions(temp: &Path, target: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(target)
        .map(|m| m.permissions().mode())
        .unwrap_or(0o644);
    // Best effort: a failure here leaves the file readable by its owner, which is still correct.
    let _ = fs::set_permissions(temp, fs::Permissions::from_mode(mode & 0o7777));
}

#[cfg(not(unix))]
fn set_permissions(_temp: &Path, _target: &Path) {}

/// Writes bytes (already compressed, when the output is) to the target.
fn raw_write_all(target: &mut Target, buf: &[u8]) -> io::Result<()> {
    match target {
        Target::Stdout(w) => w.write_all(buf),
        Target::Direct { file, .. } => file.write_all(buf),
        Target::Replace { temp, .. } => writer(temp)?.write_all(buf),
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.encoder.is_some() {
            self.write_all(buf)?;
            return Ok(buf.len());
        }
        match &mut self.target {
            Target::Stdout(w) => w.write(buf),
            Target::Direct { file, .. } => file.write(buf),
            Target::Replace { temp, .. } => writer(temp)?.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.encoder {
            Some(encoder) => {
                encoder.write_all(buf)?;
                self.drain(false)
            }
            None => raw_write_all(&mut self.target, buf),
        }
    }

    /// Passes on what is written so far; a compressed stream keeps the bytes its compressor
    /// holds back until [`Output::commit`] ends the stream.
    fn flush(&mut self) -> io::Result<()> {
        self.drain(true)?;
        match &mut self.target {
            Target::Stdout(w) => w.flush(),
            Target::Direct { file, .. } => file.flush(),
            Target::Replace { temp, .. } => writer(temp)?.flush(),
        }
    }
}

/// The temporary file's writer; gone only once committed.
fn writer(
    temp: &mut Option<BufWriter<tempfile::NamedTempFile>>,
) -> io::Result<&mut BufWriter<tempfile::NamedTempFile>> {
    temp.as_mut()
        .ok_or_else(|| io::Error::other("the output was already committed"))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_is_followed_to_its_final_target_even_when_that_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink("real.csv", &link).unwrap();
        let plan = plan(link.to_str().unwrap(), &[]).unwrap();
        assert_eq!(
            plan,
            Plan::Replace {
                target: dir.path().join("real.csv"),
                dir: dir.path().to_path_buf()
            }
        );
    }

    #[test]
    fn character_devices_are_written_in_place_and_may_also_be_inputs() {
        let plan = plan("/dev/null", &["/dev/null"]).unwrap();
        assert_eq!(plan, Plan::Direct(PathBuf::from("/dev/null")));
    }

    #[test]
    fn a_hard_link_to_an_input_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data.csv");
        fs::write(&data, "a\n1\n").unwrap();
        let alias = dir.path().join("alias.csv");
        fs::hard_link(&data, &alias).unwrap();
        let err = plan(alias.to_str().unwrap(), &[data.to_str().unwrap()]).unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{err}");
    }

    #[test]
    fn an_empty_output_path_or_one_ending_in_a_slash_is_refused() {
        let err = plan("", &[]).unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let slash = format!("{}/new/", dir.path().display());
        let err = plan(&slash, &[]).unwrap_err();
        assert!(err.to_string().contains("names a directory"), "{err}");
    }

    #[test]
    fn uncommitted_output_leaves_existing_file_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        std::fs::write(&path, "old").unwrap();
        {
            let mut out = Output::create(path.to_str().unwrap(), &[]).unwrap();
            out.write_all(b"new partial").unwrap();
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn committed_output_replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        std::fs::write(&path, "old").unwrap();
        let mut out = Output::create(path.to_str().unwrap(), &[]).unwrap();
        out.write_all(b"new").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn output_in_a_missing_directory_is_refused_up_front() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("out.csv");
        let err = Output::create(path.to_str().unwrap(), &[]).err().unwrap();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[test]
    fn output_equal_to_an_input_under_another_spelling_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let data = dir.path().join("data.csv");
        std::fs::write(&data, "a\n1\n").unwrap();
        let alias = dir.path().join("sub").join("..").join("data.csv");
        let err = Output::create(alias.to_str().unwrap(), &[data.to_str().unwrap()])
            .err()
            .unwrap();
        assert!(matches!(err, Error::Usage(_)), "{err}");
        assert_eq!(std::fs::read_to_string(&data).unwrap(), "a\n1\n");
    }
}
