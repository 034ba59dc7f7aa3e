//! Compiled patterns that can be given back: the classifier's regexes are built on first
//! use, like a `LazyLock`, and [`release`] drops them all once a large scan is over, so
//! that an idle daemon does not keep the tens of megabytes that compiled patterns and
//! their search caches grow to (issue 11: `debrief run` idles small whatever it read).
//! The next message builds them again (about a tenth of a second for all of them).
//!
//! A use takes the pattern with [`Compiled::get`], an `Arc` that keeps it alive while it
//! is in use even if [`release`] runs meanwhile on another thread.

use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// One compiled value, built by `build` on first use and dropped by [`release`].
pub struct Compiled<T: 'static> {
    value: RwLock<Option<Arc<T>>>,
    build: fn() -> T,
}

/// What [`release`] calls on every value built since the last release.
trait Release: Sync {
    fn release(&self);
}

impl<T: Send + Sync> Release for Compiled<T> {
    fn release(&self) {
        self.value.write().unwrap_or_else(PoisonError::into_inner).take();
    }
}

/// The values built since the last [`release`].
static BUILT: Mutex<Vec<&'static dyn Release>> = Mutex::new(Vec::new());

impl<T: Send + Sync + 'static> Compiled<T> {
    pub const fn new(build: fn() -> T) -> Self {
        Compiled { value: RwLock::new(None), build }
    }

    /// The value, built now if it is not.
    pub fn get(&'static self) -> Arc<T> {
        if let Some(value) = self.value.read().unwrap_or_else(PoisonError::into_inner).as_ref() {
            return Arc::clone(value);
        }
        let mut slot = self.value.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(value) = slot.as_ref() {
            return Arc::clone(value);
        }
        let value = Arc::new((self.build)());
        *slot = Some(Arc::clone(&value));
        BUILT.lock().unwrap_or_else(PoisonError::into_inner).push(self);
        value
    }
}

/// Drops every compiled value no classification is using; the next use builds it again.
pub fn release() {
    let built = std::mem::take(&mut *BUILT.lock().unwrap_or_else(PoisonError::into_inner));
    for value in built {
        value.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static BUILDS: AtomicUsize = AtomicUsize::new(0);
    static VALUE: Compiled<String> = Compiled::new(|| {
        BUILDS.fetch_add(1, Ordering::SeqCst);
        "compiled".to_string()
    });

    #[test]
    fn built_once_until_released_and_kept_alive_by_a_user() {
        let first = VALUE.get();
        assert!(Arc::ptr_eq(&first, &VALUE.get()), "one value while it is not released");
        let builds = BUILDS.load(Ordering::SeqCst);
        release();
        // A user still holding it keeps it; the next use builds a new one.
        assert_eq!(*first, "compiled");
        let second = VALUE.get();
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(BUILDS.load(Ordering::SeqCst), builds + 1);
    }
}
