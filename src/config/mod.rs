//! Config (placeholder while the stages land).
