//! What a screen source is: something that lists displays and grabs one display's pixels into a
//! reusable buffer. The recorder never knows which backend it runs on; [`open_screen`] picks the
//! fastest that works (X11 MIT-SHM, then X11 GetImage, then xcap).

use apprentice_core::model::DisplayInfo;
use apprentice_core::store::frame_codec::PixelFormat;

use super::CaptureError;

/// Layout of the pixels a capture wrote into its buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapturedLayout {
    pub width: u32,
    pub height: u32,
    pub stride: usize,
    pub format: PixelFormat,
}

pub trait ScreenSource: Send {
    /// Which backend this is (`x11-shm`, `x11-getimage`, `xcap`), recorded with each recording.
    fn backend(&self) -> &'static str;
    fn displays(&self) -> &[DisplayInfo];
    /// Grabs display `index` (into [`Self::displays`]) into `buf`, replacing its contents.
    fn capture(&mut self, index: usize, buf: &mut Vec<u8>) -> Result<CapturedLayout, CaptureError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ScreenBackend {
    /// The fastest that works here.
    #[default]
    Auto,
    /// X11 with MIT-SHM shared memory.
    X11Shm,
    /// X11 GetImage over the socket.
    X11GetImage,
    /// The xcap crate (portable; slow on X11).
    Xcap,
}

pub fn open_screen(backend: ScreenBackend) -> Result<Box<dyn ScreenSource>, CaptureError> {
    match backend {
        ScreenBackend::X11Shm => Ok(Box::new(super::x11::X11Screen::connect(true)?)),
        ScreenBackend::X11GetImage => Ok(Box::new(super::x11::X11Screen::connect(false)?)),
        ScreenBackend::Xcap => open_xcap(),
        ScreenBackend::Auto => match super::x11::X11Screen::connect(true) {
            Ok(s) => Ok(Box::new(s)),
            Err(e @ CaptureError::NoDisplay(_)) => Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "X11 capture unavailable, falling back to xcap");
                open_xcap()
            }
        },
    }
}

#[cfg(feature = "xcap")]
fn open_xcap() -> Result<Box<dyn ScreenSource>, CaptureError> {
    Ok(Box::new(super::xcap_screen::XcapScreen::open()?))
}

#[cfg(not(feature = "xcap"))]
fn open_xcap() -> Result<Box<dyn ScreenSource>, CaptureError> {
    Err(CaptureError::Unsupported("this build has no xcap backend (built without the `xcap` feature)".into()))
}
