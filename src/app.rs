//! Wiring (placeholder while the stages land).
