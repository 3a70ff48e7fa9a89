//! Screen capture through the xcap crate: the portable fallback (Wayland, macOS, Windows) and
//! the baseline the X11 fast path is benchmarked against.

use apprentice_core::model::DisplayInfo;
use apprentice_core::store::frame_codec::PixelFormat;

use super::screen::{CapturedLayout, ScreenSource};
use super::CaptureError;

pub struct XcapScreen {
    monitors: Vec<xcap::Monitor>,
    displays: Vec<DisplayInfo>,
}

impl XcapScreen {
    pub fn open() -> Result<Self, CaptureError> {
        let monitors = xcap::Monitor::all().map_err(|e| CaptureError::Unsupported(format!("xcap: {e}")))?;
        let mut displays = Vec::new();
        for (i, m) in monitors.iter().enumerate() {
            let err = |e: xcap::XCapError| CaptureError::Unsupported(format!("xcap monitor {i}: {e}"));
            displays.push(DisplayInfo {
                id: i as u32,
                name: m.name().map_err(err)?,
                x: m.x().map_err(err)?,
                y: m.y().map_err(err)?,
                width: m.width().map_err(err)?,
                height: m.height().map_err(err)?,
                scale: m.scale_factor().map_err(err)? as f64,
                primary: m.is_primary().map_err(err)?,
            });
        }
        if displays.is_empty() {
            return Err(CaptureError::Unsupported("xcap found no monitors".into()));
        }
        Ok(XcapScreen { monitors, displays })
    }
}

impl ScreenSource for XcapScreen {
    fn backend(&self) -> &'static str {
        "xcap"
    }

    fn displays(&self) -> &[DisplayInfo] {
        &self.displays
    }

    fn capture(&mut self, index: usize, buf: &mut Vec<u8>) -> Result<CapturedLayout, CaptureError> {
        let m = self.monitors.get(index).ok_or_else(|| CaptureError::Unsupported(format!("no display #{index}")))?;
        let img = m.capture_image().map_err(|e| CaptureError::X11(format!("xcap: {e}")))?;
        let (width, height) = img.dimensions();
        *buf = img.into_raw();
        Ok(CapturedLayout { width, height, stride: width as usize * 4, format: PixelFormat::Rgba })
    }
}
