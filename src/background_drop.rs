//! Letting go of large values on a thread of their own.
//!
//! Freeing a 10,000-page model takes tens of milliseconds on one core. A rebuild that newer
//! edits overtake gives way by returning, which would free what it had made before `serve`
//! could render the newer edit's page; held in a `BackgroundDrop`, it is freed beside that.

use std::ops::{Deref, DerefMut};

pub struct BackgroundDrop<T: Send + 'static>(Option<T>);

impl<T: Send + 'static> BackgroundDrop<T> {
    pub fn new(value: T) -> Self {
        BackgroundDrop(Some(value))
    }

    /// The value, to keep after all.
    pub fn into_inner(mut self) -> T {
        self.0.take().expect("held until taken or dropped")
    }
}

impl<T: Send + 'static> Deref for BackgroundDrop<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.as_ref().expect("held until taken or dropped")
    }
}

impl<T: Send + 'static> DerefMut for BackgroundDrop<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.as_mut().expect("held until taken or dropped")
    }
}

impl<T: Send + 'static> Drop for BackgroundDrop<T> {
    fn drop(&mut self) {
        if let Some(value) = self.0.take() {
            // Without a thread to spare, it is freed here as it would have been.
            let _ = std::thread::Builder::new().spawn(move || drop(value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Says on which thread it was dropped.
    struct Witness(mpsc::Sender<std::thread::ThreadId>);

    impl Drop for Witness {
        fn drop(&mut self) {
            let _ = self.0.send(std::thread::current().id());
        }
    }

    #[test]
    fn a_value_dropped_is_freed_on_another_thread_and_one_taken_back_is_not_dropped() {
        let (sender, dropped) = mpsc::channel();
        drop(BackgroundDrop::new(Witness(sender.clone())));
        let freed_on = dropped.recv().unwrap();
        assert_ne!(freed_on, std::thread::current().id());

        let kept = BackgroundDrop::new(Witness(sender)).into_inner();
        assert!(dropped.try_recv().is_err());
        drop(kept);
        assert_eq!(dropped.recv().unwrap(), std::thread::current().id());
    }
}
