//! Helpers shared by the models: running a model that must fail.

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `model` under `loom::model` and returns loom's failure message.
///
/// Panics if loom explores every interleaving without finding a failure:
/// the twin under test is broken on purpose, so a clean pass means the
/// scenario has no teeth.
pub fn expect_model_failure<F>(model: F) -> String
where
    F: Fn() + Sync + Send + 'static,
{
    // Silence the expected panic's report; restore the hook afterwards.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = catch_unwind(AssertUnwindSafe(|| loom::model(model)));
    std::panic::set_hook(previous);
    match outcome {
        Ok(()) => panic!("loom explored every interleaving of a broken twin and found nothing"),
        Err(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "non-string panic payload".to_string()),
    }
}
