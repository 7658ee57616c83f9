//! The progress display, drawn from [`Event`]s: on a terminal, one indicatif line per stack set
//! and region with its state; otherwise plain lines on stderr.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::events::{Event, Sink};

/// Draws events.
pub struct Progress {
    multi: Option<MultiProgress>,
    bars: Mutex<HashMap<(String, String), ProgressBar>>,
}

impl Progress {
    /// Live lines when stderr is a terminal (and `plain` is not asked for), plain lines
    /// otherwise.
    pub fn new(plain: bool) -> Progress {
        let live = !plain && std::io::stderr().is_terminal();
        Progress {
            multi: live.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn bar(&self, multi: &MultiProgress, stack: &str, region: &str) -> ProgressBar {
        let mut bars = self.bars.lock().expect("bars lock");
        bars.entry((stack.to_owned(), region.to_owned()))
            .or_insert_with(|| {
                let b = multi.add(ProgressBar::new_spinner());
                b.set_style(
                    ProgressStyle::with_template("{spinner} {prefix:.bold} {msg}")
                        .expect("valid template")
                        .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏✓"),
                );
                b.set_prefix(format!("{stack} {region}"));
                b.enable_steady_tick(Duration::from_millis(120));
                b
            })
            .clone()
    }
}

impl Sink for Progress {
    fn emit(&self, event: Event) {
        let Some(multi) = &self.multi else {
            crate::errln!("{}", event.line());
            return;
        };
        match &event {
            Event::Operation { stack, action, regions, .. } => {
                for r in regions {
                    self.bar(multi, stack, r).set_message(format!("{action}: PENDING"));
                }
            }
            Event::Region { stack, region, status, reason } => {
                let b = self.bar(multi, stack, region);
                let msg = match reason {
                    Some(r) if !r.is_empty() => format!("{status}: {r}"),
                    _ => status.to_string(),
                };
                if status.is_settled() {
                    b.finish_with_message(msg);
                } else {
                    b.set_message(msg);
                }
            }
            Event::StackDone { stack, .. } => {
                let bars = self.bars.lock().expect("bars lock");
                for ((s, _), b) in bars.iter() {
                    if s == stack && !b.is_finished() {
                        b.finish();
                    }
                }
                drop(bars);
                let _ = multi.println(event.line());
            }
            _ => {
                let _ = multi.println(event.line());
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Ok(bars) = self.bars.lock() {
            for b in bars.values() {
                if !b.is_finished() {
                    b.abandon();
                }
            }
        }
    }
}
