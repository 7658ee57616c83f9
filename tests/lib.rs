//! Shared harness of the workspace tests.
