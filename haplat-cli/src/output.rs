//! Writing to stdout and stderr without panicking when the reader has gone.
//!
//! `haplat list | head -1` closes the pipe after one line; Rust ignores `SIGPIPE`, so the next
//! write fails with `EPIPE` and `println!` would panic. Every command writes through
//! [`out!`](crate::out!) and [`err!`](crate::err!) instead:
//!
//! - stdout gone, in a command that only reads or plans (`synth`, `list`, `diff`, `status`,
//!   `deploy --dry-run`): there is nobody left to tell, so haplat exits at once, quietly, with
//!   code 0 (what `head` and `grep -q` expect of a producer);
//! - stdout gone during `bootstrap`, `deploy` or `destroy`: output is dropped and the command
//!   runs to its end, so that a closed pager never leaves a deploy half-done; its exit code is
//!   the command's own;
//! - stderr gone: progress and errors are dropped; the exit code still says what happened.

use std::fmt::Arguments;
use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static FINISH_ON_BROKEN_PIPE: AtomicBool = AtomicBool::new(false);
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);

/// From now on, a closed stdout no longer ends the process: the command changes the cloud and
/// must run to its end.
pub fn finish_on_broken_pipe() {
    FINISH_ON_BROKEN_PIPE.store(true, Ordering::SeqCst);
}

/// Whether a write to stdout found the reader gone.
pub fn stdout_gone() -> bool {
    STDOUT_GONE.load(Ordering::SeqCst)
}

/// Writes to stdout (use [`out!`](crate::out!)).
pub fn write_stdout(args: Arguments<'_>) {
    if stdout_gone() {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    let r = stdout.write_fmt(args).and_then(|()| stdout.flush());
    if let Err(e) = r {
        STDOUT_GONE.store(true, Ordering::SeqCst);
        if e.kind() == ErrorKind::BrokenPipe && !FINISH_ON_BROKEN_PIPE.load(Ordering::SeqCst) {
            std::process::exit(crate::error::exit::OK.into());
        }
    }
}

/// Writes to stderr, ignoring a closed or failing stderr (use [`err!`](crate::err!)).
pub fn write_stderr(args: Arguments<'_>) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_fmt(args).and_then(|()| stderr.flush());
}

/// `print!` that never panics: see the [module](crate::output).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::write_stdout(format_args!($($arg)*)) };
}

/// `println!` that never panics.
#[macro_export]
macro_rules! outln {
    () => { $crate::output::write_stdout(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` that never panics.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => { $crate::output::write_stderr(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprint!` that never panics.
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => { $crate::output::write_stderr(format_args!($($arg)*)) };
}
