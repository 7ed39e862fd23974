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
/// placeholder
#[derive(Debug)]
#[allow(dead_code)]
pub struct FileSource(FileSpec);
impl FileSource {
    /// placeholder
    pub fn new(spec: FileSpec) -> Self {
        Self(spec)
    }
}
impl super::Source for FileSource {
    fn run(
        self: Box<Self>,
        _sink: &mut dyn super::Sink,
        _stop: &super::StopSignal,
    ) -> Result<(), super::SourceError> {
        Ok(())
    }
}
