//! haplat-constructs (work in progress).
