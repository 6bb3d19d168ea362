//! Any bytes as what a client sends to `serve`, answered in-process as a connection would be:
//! never a panic, every answer a well-formed HTTP/1.1 status line, nothing outside the site
//! served, and nothing answered to a host that is not local.
#![no_main]

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use communities::output::Files;
use communities::serve::Preview;
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"SECRET-DRAFT";

fn preview() -> &'static Preview {
    static PREVIEW: OnceLock<Preview> = OnceLock::new();
    PREVIEW.get_or_init(|| {
        let mut files = Files::default();
        for (path, body) in [
            ("index.html", &b"<html><head></head><body>home</body></html>"[..]),
            ("404.html", b"<html><head></head><body>lost</body></html>"),
            ("drafts/index.html", SECRET),
            ("style.css", b"body{}"),
        ] {
            files.insert(path.to_string(), Arc::from(body));
        }
        Preview::new(files, IpAddr::from([127, 0, 0, 1]), &[])
    })
}

fuzz_target!(|data: &[u8]| {
    let answer = preview().respond_to_bytes(data);
    if answer.is_empty() {
        return;
    }
    assert!(answer.starts_with(b"HTTP/1.1 "), "{:?}", String::from_utf8_lossy(&answer[..answer.len().min(80)]));
    // A request that names another host must never reach the site's files.
    let text = String::from_utf8_lossy(data).to_ascii_lowercase();
    if !text.contains("localhost") && !text.contains("127.") && !text.contains('[') {
        assert!(
            !answer.windows(SECRET.len()).any(|w| w == SECRET),
            "a draft was served to a foreign host"
        );
    }
});
