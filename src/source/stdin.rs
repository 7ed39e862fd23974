//! placeholder
/// placeholder
#[derive(Debug)]
pub struct StdinSource;
impl super::Source for StdinSource {
    fn run(
        self: Box<Self>,
        _sink: &mut dyn super::Sink,
        _stop: &super::StopSignal,
    ) -> Result<(), super::SourceError> {
        Ok(())
    }
}
