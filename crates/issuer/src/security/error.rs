//! Why a security step could not be carried out (a wrong PIN is not an error: it is an
//! outcome).

use hsm::HsmError;

/// Why an HSM step of the issuer failed; `step` names what was being done.
#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    /// The HSM refused or failed.
    #[error("HSM, {step}: {source}")]
    Hsm {
        /// What was being done (e.g. "importing zpk.000000").
        step: String,
        /// The HSM's reason.
        #[source]
        source: HsmError,
    },
    /// A clear value given to a set-up helper is not usable.
    #[error("{what}: {reason}")]
    Input {
        /// Which value (e.g. "PAN", "PIN", "pvki").
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The HSM holds no zone PIN key.
    #[error("the HSM holds no zone PIN key ({prefix}NNNNNN): provision it first")]
    NoZonePinKey {
        /// The name prefix looked for.
        prefix: &'static str,
    },
    /// Every generation number is used.
    #[error("zone PIN key generation {current} is the last one (at most {max})")]
    GenerationsExhausted {
        /// The current generation.
        current: u32,
        /// The highest possible.
        max: u32,
    },
    /// A thread panicked while holding the HSM: its state is not trusted any more.
    #[error("the HSM handle is unusable: a thread failed while holding it")]
    Poisoned,
}

impl SecurityError {
    pub(crate) fn hsm(step: impl Into<String>) -> impl FnOnce(HsmError) -> Self {
        let step = step.into();
        move |source| Self::Hsm { step, source }
    }
}
