//! Serve (placeholder while the stages land).
