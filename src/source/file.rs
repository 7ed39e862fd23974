//! placeholder until the file source lands
use std::path::PathBuf;
/// placeholder
#[derive(Debug, Clone, PartialEq)]
pub struct FileSpec {
    /// paths
    pub paths: Vec<PathBuf>,
    /// follow
    pub follow: bool,
}
