//! How the process asks the system and mimalloc (the allocator `main` installs) for memory:
//! tuned per command, as a one-off build, a large build and the long-running `serve` want
//! different things.

/// `mi_option_purge_delay` in mimalloc.h, which the bindings leave unnamed.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// From this many pages on, a build gives memory back as soon as it is freed.
const LARGE_SITE_PAGES: usize = 50_000;

/// mimalloc asks for transparent huge pages, and the kernel then zeroes two megabytes at each
/// first touch of memory that mimalloc soon hands back (a tenth of the CPU time at 10,000
/// pages). With ordinary pages the build's peak memory is an eighth lower, in about the same
/// time (what the kernel saves, the processor spends on address translation). A refusal leaves
/// huge pages on, which only costs memory. `serve` keeps them, and keeps the memory it frees
/// (`keep_freed_memory`).
pub fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes plain integers and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// mimalloc hands memory it freed back to the kernel after 10 ms. Between an editor's saves
/// that is all the memory a rebuild used, and taking it back page by page slowed the first
/// save after a pause (10,000 pages, saves 6 s apart: 90-350 ms to the first pages against
/// 50-80 ms). `serve` keeps it instead: its memory stays at what its largest rebuild needed.
pub fn keep_freed_memory() {
    set_purge_delay(-1);
}

/// While a build frees memory all the time, mimalloc keeps putting off handing it back, and
/// held about 200 MiB more than it used at 100,000 pages (1,150 MiB at its peak against 940).
/// Handing it back at once costs little time there (2-5%), but a tenth of the time at 10,000
/// pages, where the build's memory is small anyway: only a large site's build does it.
pub fn free_at_once_on_a_large_site(pages: usize) {
    if pages >= LARGE_SITE_PAGES {
        set_purge_delay(0);
    }
}

fn set_purge_delay(ms: std::os::raw::c_long) {
    // SAFETY: mi_option_set takes plain integers; mimalloc reads the option as a plain number
    // whenever it frees, and it is set before the command starts threads of its own.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_large_site_hands_freed_memory_back_at_once() {
        // SAFETY: mi_option_get takes a plain integer.
        let delay = || unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        let before = delay();
        set_purge_delay(10);
        free_at_once_on_a_large_site(LARGE_SITE_PAGES - 1);
        assert_eq!(delay(), 10);
        free_at_once_on_a_large_site(LARGE_SITE_PAGES);
        assert_eq!(delay(), 0);
        set_purge_delay(before);
    }
}
