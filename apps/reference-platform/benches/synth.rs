//! `cargo bench -p reference-platform`: wall time and peak heap memory of synthesizing the
//! reference platform (every environment) and generated platforms of N regions × M services,
//! including validation and writing the assembly to disk.
//!
//! Numbers, not assertions: the README quotes them. Peak memory is measured by a counting
//! global allocator (bytes live at the high-water mark, above what was live before the run).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reference_platform::config::{self, Environment};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

struct Measure {
    median: Duration,
    min: Duration,
    peak_bytes: usize,
    resources: usize,
    stacks: usize,
    bytes_written: usize,
}

fn measure(env: &Environment, runs: usize) -> Measure {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut times = Vec::with_capacity(runs);
    let mut peak_bytes = 0;
    let mut resources = 0;
    let mut stacks = 0;
    let mut bytes_written = 0;
    for _ in 0..runs {
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let start = Instant::now();
        let app = reference_platform::platform(env);
        let assembly = app.synth_to(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        times.push(start.elapsed());
        peak_bytes = peak_bytes.max(PEAK.load(Ordering::Relaxed).saturating_sub(base));
        resources = assembly.manifest.stacks.iter().map(|s| s.resources.len()).sum();
        stacks = assembly.manifest.stacks.len();
        bytes_written = assembly.templates.values().map(String::len).sum::<usize>() + assembly.manifest_json().len();
        drop(assembly);
        drop(app);
    }
    times.sort();
    Measure { median: times[times.len() / 2], min: times[0], peak_bytes, resources, stacks, bytes_written }
}

fn row(name: &str, m: &Measure) {
    let per_resource = m.median.as_secs_f64() * 1e6 / m.resources.max(1) as f64;
    println!(
        "| {name:<28} | {:>6} | {:>9} | {:>9.2} | {:>9.2} | {:>10.1} | {:>8.2} | {:>11.2} |",
        m.stacks,
        m.resources,
        m.median.as_secs_f64() * 1e3,
        m.min.as_secs_f64() * 1e3,
        m.peak_bytes as f64 / (1024.0 * 1024.0),
        m.bytes_written as f64 / 1024.0,
        per_resource,
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects rows by name.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let runs: usize = std::env::var("HAPLAT_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(15);
    println!("synthesis incl. validation and writing the assembly; median and min of {runs} runs");
    println!();
    println!(
        "| case                         | stacks | resources | median ms |    min ms | peak MiB   | KiB out  | µs/resource |"
    );
    println!(
        "|------------------------------|--------|-----------|-----------|-----------|------------|----------|-------------|"
    );
    for name in ["dev", "staging", "prod"] {
        let label = format!("reference platform ({name})");
        if filter.as_ref().is_some_and(|f| !label.contains(f.as_str())) {
            continue;
        }
        let env = config::load(name).unwrap_or_else(|e| panic!("{e}"));
        row(&label, &measure(&env, runs));
    }
    for regions in [1, 4, 16] {
        for services in [1, 4, 16] {
            let label = format!("generated {regions:>2} regions x {services:>2} svc");
            if filter.as_ref().is_some_and(|f| !label.contains(f.as_str())) {
                continue;
            }
            let env = reference_platform::synthetic_environment(regions, services).unwrap_or_else(|e| panic!("{e}"));
            row(&label, &measure(&env, runs));
        }
    }
}
